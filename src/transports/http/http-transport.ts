import { Buffer } from "node:buffer";
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import process from "node:process";
import { urlToHttpOptions } from "node:url";
import type { ForwardConfig } from "../../config/load.ts";
import type { Outgoing, SendOutcome, Transport } from "../transport.ts";
import { classifyResponse } from "./classify-response.ts";
import { signStandardWebhook } from "./standard-webhooks.ts";

const EXCERPT_BYTES = 1024;
/** The largest XML answer passed back to Telnyx; a larger one is read to its end and dropped. */
export const MAX_REPLY_BYTES = 64 * 1024;
// `application/xml`, `text/xml`, `application/…+xml`, parameters allowed.
const XML_TYPE = /^\s*[a-z]+\/(?:[a-z0-9.!#$&^_-]+\+)?xml\s*(?:;|$)/i;
const DELIVERED: SendOutcome = { kind: "delivered" };

/**
 * Makes the HTTP transport: each event is POSTed to the downstream as a structured-mode CloudEvent.
 *
 * Headers: `Content-Type: application/cloudevents+json`, `Idempotency-Key` and `ce-id` equal to the
 * event id (so the receiver can deduplicate our retries and Telnyx's redeliveries alike), the user's
 * extra headers, and, with a secret, the Standard Webhooks signature. Connections are kept alive.
 * An attempt counts only once the whole response has arrived: a 2xx whose body is cut off (the
 * connection reset before Content-Length bytes came) is retried like a reset, since the downstream
 * may not have committed the event. What the answer means is {@link classifyResponse}'s business.
 *
 * @param forward The target, headers, secret and per-request timeout (status line and body).
 * @param maxSockets Connections to keep to the downstream.
 * @param now The clock (ms), for the signature's timestamp and Retry-After dates.
 * @returns The transport; `close` drops its connections.
 * @example
 * ```ts
 * const transport = createHttpTransport(config.forward, 8, Date.now);
 * const outcome = await transport.send(encodeCloudEvent(event, id));
 * ```
 */
export function createHttpTransport(forward: ForwardConfig, maxSockets: number, now: () => number): Transport {
  const { url, secret, timeoutMs } = forward;
  const https = url.protocol === "https:";
  // node:https (and TLS) is loaded only for an https downstream: ~3 ms less at every start otherwise.
  const tls = https ? process.getBuiltinModule("node:https") : undefined;
  const agent = tls ? new tls.Agent({ keepAlive: true, maxSockets }) : new HttpAgent({ keepAlive: true, maxSockets });
  const request = tls ? tls.request : httpRequest;
  // Worked out once, not per event: node:http would convert the URL and build a header map every time.
  // Headers go as one flat [name, value, …] list, which node:http writes as is; so Host is ours to
  // send (url.host: the port only when not the scheme's default, an IPv6 address in brackets).
  const target = urlToHttpOptions(url);
  const fixedHeaders: string[] = ["Host", url.host, "Content-Type", "application/cloudevents+json; charset=utf-8"];
  // A name given twice is sent twice, as the user wrote it.
  for (const [name, value] of forward.headers) fixedHeaders.push(name, value);

  function send(event: Outgoing): Promise<SendOutcome> {
    const body = Buffer.from(event.json);
    const headers = [...fixedHeaders, "Content-Length", String(body.length), "Idempotency-Key", event.id, "ce-id", event.id];
    if (secret) {
      const signature = signStandardWebhook(secret, event.id, Math.floor(now() / 1000), event.json);
      headers.push("webhook-id", signature["webhook-id"], "webhook-timestamp", signature["webhook-timestamp"], "webhook-signature", signature["webhook-signature"]);
    }
    return new Promise<SendOutcome>((resolve) => {
      let settled = false;
      const finish = (outcome: SendOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      let outgoing: ReturnType<typeof request>;
      try {
        outgoing = request({ ...target, method: "POST", headers, agent }, (response) => {
          const status = response.statusCode ?? 0;
          const acknowledged = status >= 200 && status < 300;
          // A 2xx body is read to its end but not kept, unless it is XML (a TeXML answer for Telnyx:
          // kept whole up to MAX_REPLY_BYTES); any other answer keeps its first KiB.
          const xml = acknowledged && XML_TYPE.test(response.headers["content-type"] ?? "");
          readBody(response, xml ? MAX_REPLY_BYTES + 1 : acknowledged ? 0 : EXCERPT_BYTES).then(
            (text) => finish(acknowledged ? delivered(xml ? text : "") : classifyResponse(status, response.headers["retry-after"], text, now)),
            () => finish(unreached(`the ${status} response was cut off`)),
          );
        });
      } catch (error) {
        // Node refuses to send some header values; retrying would not change that.
        const detail = `the request could not be sent: ${(error as Error).message}`;
        resolve({ kind: "refuse", detail, answer: { status: 0, bodyExcerpt: detail } });
        return;
      }
      const timer = setTimeout(() => {
        finish(unreached(`no complete answer within ${timeoutMs} ms`));
        outgoing.destroy();
      }, timeoutMs);
      outgoing.on("error", (error: NodeJS.ErrnoException) => finish(unreached(error.code ?? error.message)));
      outgoing.end(body);
    });
  }

  return {
    send,
    close: async () => agent.destroy(),
  };
}

/** Delivered, with the XML answer when there is one within the bound. */
function delivered(xml: string): SendOutcome {
  return xml === "" || Buffer.byteLength(xml) > MAX_REPLY_BYTES ? DELIVERED : { kind: "delivered", reply: xml };
}

/** A retry for an attempt that got no (complete) answer. */
function unreached(reason: string): SendOutcome {
  return { kind: "retry", reason, reached: false };
}

/**
 * Reads the body to its end, keeping its first `keep` bytes, so the connection can be reused.
 * Rejects when the response ends before it is complete (reset, or closed short of Content-Length).
 */
function readBody(response: IncomingMessage, keep: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on("data", (chunk: Buffer) => {
      if (size < keep) chunks.push(chunk.subarray(0, keep - size));
      size += chunk.length;
    });
    response.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    response.on("error", reject);
    response.on("aborted", () => reject(new Error("aborted")));
    // Some runtimes only close: a response that closes before its end is cut off.
    response.on("close", () => {
      if (!response.complete) reject(new Error("closed before the end of the response"));
    });
  });
}
