import { Buffer } from "node:buffer";
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import process from "node:process";
import { urlToHttpOptions } from "node:url";
import type { ForwardConfig } from "../../config/load.ts";
import type { EncodedEvent } from "../../pipeline/cloud-event.ts";
import { signStandardWebhook } from "./standard-webhooks.ts";

/** What one forward attempt came to. */
export type PostResult =
  | { readonly kind: "delivered"; readonly status: number }
  /** Worth trying again: 408, 429, 5xx, a network error or a timeout. */
  | { readonly kind: "retry"; readonly status: number | undefined; readonly retryAfterMs: number | undefined; readonly reason: string }
  /** The downstream refused it for good (another 4xx, or a redirect): retrying cannot help. */
  | { readonly kind: "reject"; readonly status: number; readonly bodyExcerpt: string };

/** Sends one event downstream, once. Never throws. */
export type PostEvent = (event: EncodedEvent) => Promise<PostResult>;

const EXCERPT_BYTES = 1024;
const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$/;

/**
 * Makes the function that POSTs one event to the downstream as a structured-mode CloudEvent.
 *
 * Headers: `Content-Type: application/cloudevents+json`, `Idempotency-Key` and `ce-id` equal to the
 * event id (so the receiver can deduplicate our retries and Telnyx's redeliveries alike), the user's
 * extra headers, and, with a secret, the Standard Webhooks signature. Connections are kept alive.
 *
 * @param forward The target, headers, secret and per-request timeout.
 * @param maxSockets Connections to keep to the downstream.
 * @param now The clock (ms), for the signature's timestamp.
 * @returns The post function and a `close` that drops idle connections.
 * @example
 * ```ts
 * const { post } = createPoster(config.forward, 8, Date.now);
 * const result = await post(encodeCloudEvent(event, id));
 * ```
 */
export function createPoster(forward: ForwardConfig, maxSockets: number, now: () => number): { post: PostEvent; close(): void } {
  const { url, secret, timeoutMs } = forward;
  const https = url.protocol === "https:";
  // node:https (and TLS) is loaded only for an https downstream: ~3 ms less at every start otherwise.
  const tls = https ? process.getBuiltinModule("node:https") : undefined;
  const agent = tls ? new tls.Agent({ keepAlive: true, maxSockets }) : new HttpAgent({ keepAlive: true, maxSockets });
  const send = tls ? tls.request : httpRequest;
  // Worked out once, not per event: node:http would convert the URL and build a header map every time.
  // Headers go as one flat [name, value, …] list, which node:http writes as is; so Host is ours to
  // send (url.host: the port only when not the scheme's default, an IPv6 address in brackets).
  const target = urlToHttpOptions(url);
  const fixedHeaders: string[] = ["Host", url.host, "Content-Type", "application/cloudevents+json; charset=utf-8"];
  // A name given twice is sent twice, as the user wrote it.
  for (const [name, value] of forward.headers) fixedHeaders.push(name, value);

  function post(event: EncodedEvent): Promise<PostResult> {
    const body = Buffer.from(event.json);
    const headers = [...fixedHeaders, "Content-Length", String(body.length), "Idempotency-Key", event.id, "ce-id", event.id];
    if (secret) {
      const signature = signStandardWebhook(secret, event.id, Math.floor(now() / 1000), event.json);
      headers.push("webhook-id", signature["webhook-id"], "webhook-timestamp", signature["webhook-timestamp"], "webhook-signature", signature["webhook-signature"]);
    }
    return new Promise<PostResult>((resolve) => {
      let settled = false;
      const finish = (result: PostResult): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(result);
      };
      let request: ReturnType<typeof send>;
      try {
        request = send({ ...target, method: "POST", headers, agent }, (response) => {
          const status = response.statusCode ?? 0;
          if (status >= 200 && status < 300) {
            // Acknowledged with the status line: a slow body must not turn it into a timeout (and a duplicate).
            finish({ kind: "delivered", status });
            response.resume();
            return;
          }
          readExcerpt(response).then((excerpt) => finish(classify(response, excerpt, now)), () => finish(retry(undefined, "the response was cut off")));
        });
      } catch (error) {
        // Node refuses to send some header values; retrying would not change that.
        resolve({ kind: "reject", status: 0, bodyExcerpt: `the request could not be sent: ${(error as Error).message}` });
        return;
      }
      const timer = setTimeout(() => {
        finish(retry(undefined, `no answer within ${timeoutMs} ms`));
        request.destroy();
      }, timeoutMs);
      request.on("error", (error: NodeJS.ErrnoException) => finish(retry(undefined, error.code ?? error.message)));
      request.end(body);
    });
  }

  return { post, close: () => agent.destroy() };
}

function retry(status: number | undefined, reason: string, retryAfterMs?: number): PostResult {
  return { kind: "retry", status, retryAfterMs, reason };
}

function classify(response: IncomingMessage, excerpt: string, now: () => number): PostResult {
  const status = response.statusCode ?? 0;
  if (status === 408 || status === 429 || status >= 500) {
    return retry(status, `the downstream answered ${status}`, parseRetryAfter(response.headers["retry-after"], now));
  }
  return { kind: "reject", status, bodyExcerpt: excerpt };
}

/** Reads up to EXCERPT_BYTES of the body and drains the rest, so the connection can be reused. */
function readExcerpt(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on("data", (chunk: Buffer) => {
      if (size < EXCERPT_BYTES) chunks.push(chunk.subarray(0, EXCERPT_BYTES - size));
      size += chunk.length;
    });
    response.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    response.on("error", reject);
    response.on("aborted", () => reject(new Error("aborted")));
  });
}

/**
 * Parses `Retry-After`: delay seconds or an HTTP date (RFC 9110 section 10.2.3).
 *
 * @param value The header.
 * @param now The clock, ms.
 * @returns Milliseconds to wait, or undefined when absent or unreadable.
 * @example
 * ```ts
 * parseRetryAfter("120", Date.now); // 120000
 * ```
 */
export function parseRetryAfter(value: string | undefined, now: () => number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text) * 1000;
  // Only the HTTP date form (IMF-fixdate): Date.parse alone reads "-5" or "1.5" as dates.
  if (!IMF_FIXDATE.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}
