import { Buffer } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../lib/log.ts";
import type { Metrics } from "../lib/metrics.ts";
import { ACCEPTED_CONTENT_TYPES, acceptedMediaType } from "../events/registry.ts";
import { unsupportedMediaType } from "../pipeline/decode.ts";
import { reject, type Rejection } from "../pipeline/rejection.ts";
import type { Relay } from "../pipeline/relay.ts";
import { clip } from "./clip.ts";
import { createByteBudget, readBody } from "./read-body.ts";
import { HEALTH_PATH, METRICS_PATH, READY_PATH } from "../lib/routes.ts";
import { readRequestHeaders } from "./request-headers.ts";
import { pathOf } from "./request-target.ts";
import { webhookRoutes } from "./webhook-routes.ts";
import { DEFAULT_TEXML_REPLY } from "../events/texml-reply.ts";
import { JSON_TYPE, refusalAnswer, relayAnswer, type Answer } from "./answer.ts";

/** What {@link createHttpHandler} needs. */
export interface HttpHandlerOptions {
  /** The path Telnyx POSTs to; the query string, if any, is ignored. The TeXML per-kind paths hang below it. */
  readonly path: string;
  /** The TeXML document a TeXML callback is answered with, unless the sink passes one back. */
  readonly texmlReply?: string;
  /** The most body bytes read for one request. */
  readonly bodyLimit: number;
  /** The most body bytes held at once for all requests together (slow senders cannot add up). */
  readonly bodyBudget: number;
  readonly relay: Relay;
  readonly log: Logger;
  /** True once shutdown began: answers then carry `Connection: close`. */
  readonly draining: () => boolean;
  /** True while the sink can take events. */
  readonly ready: () => boolean;
  readonly metrics: Metrics;
  /** The text for `GET /metrics` (with workers, every process's summed); `metrics.render()` if absent. */
  readonly scrape?: () => Promise<string>;
}

const HEALTHY = `${JSON.stringify({ status: "ok" })}\n`;
const READY = `${JSON.stringify({ status: "ready" })}\n`;
const PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * The node:http adapter around the relay: routing, the admission checks that need only headers
 * (method, path, media type, declared length), the bounded body read, and writing the answer
 * (shaped by src/server/answer.ts).
 *
 * Routes: `POST <path>` and `POST <path>/texml/<kind>` (src/server/webhook-routes.ts) → the relay;
 * a TeXML (form) callback is answered 200 with a TeXML document (the sink's reply, else
 * `texmlReply`), the event id and status in `Telnyx-Relay-Event-Id` / `Telnyx-Relay-Status`; any
 * other delivery with one JSON line. `GET`/`HEAD /healthz` → 200, `/readyz` → 200 or 503 as the
 * sink can take events, `/metrics` → Prometheus text. Other methods on those paths → 405 with
 * `Allow`; other paths → 404. Every error answer is one JSON line `{"error","message"}`, and is
 * logged on stderr with the same reason.
 *
 * @param options The path, body limit, relay, logger and draining flag.
 * @returns A `request` listener for `http.createServer`.
 * @example
 * ```ts
 * const handler = createHttpHandler({ path: "/webhooks/telnyx", bodyLimit: 262144, bodyBudget: 64 << 20, relay, log, draining: () => false, ready: () => sink.ready(), metrics });
 * http.createServer(handler).on("checkContinue", handler);
 * ```
 */
export function createHttpHandler(options: HttpHandlerOptions) {
  // One closure of ~105 lines on purpose: the routes, the refusal and the answer share the byte
  // budget, the logger and the draining flag; each route is a few lines of it.
  const { path, bodyLimit, relay, log, draining, ready, metrics } = options;
  const texmlReply = options.texmlReply ?? DEFAULT_TEXML_REPLY;
  const routes = webhookRoutes(path);
  const budget = createByteBudget(options.bodyBudget);

  const refuse = (req: IncomingMessage, res: ServerResponse, rejection: Rejection, headers?: Record<string, string>): void => {
    refused(req, res, rejection, refusalAnswer(rejection, headers));
  };

  const refused = (req: IncomingMessage, res: ServerResponse, rejection: Rejection, answer: Answer): void => {
    log.warn("request refused", {
      status: answer.status,
      reason: rejection.reason,
      detail: rejection.detail,
      method: req.method,
      path: clip(req.url ?? ""),
      remote: req.socket.remoteAddress,
    });
    send(res, answer.status, answer.body, answer.headers, answer.contentType);
  };

  const send = (res: ServerResponse, status: number, body: string, headers?: Readonly<Record<string, string>>, type = JSON_TYPE): void => {
    if (res.headersSent || res.destroyed) return;
    metrics.request(status);
    // One flat list to writeHead: node:http then writes it as is, without a header map per answer.
    const list = ["Content-Type", type, "Content-Length", String(Buffer.byteLength(body))];
    if (headers) for (const name in headers) list.push(name, headers[name] as string);
    if (draining() && headers?.Connection === undefined) list.push("Connection", "close");
    res.writeHead(status, list);
    res.end(body);
  };

  return function handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const requestPath = pathOf(req.url ?? "/");

    if (requestPath === HEALTH_PATH || requestPath === READY_PATH || requestPath === METRICS_PATH) {
      if (req.method !== "GET" && req.method !== "HEAD") {
        return refuse(req, res, reject("method_not_allowed", `${req.method} is not allowed on ${requestPath}; use GET`), { Allow: "GET, HEAD" });
      }
      if (requestPath === HEALTH_PATH) return send(res, 200, HEALTHY);
      if (requestPath === METRICS_PATH) {
        if (options.scrape === undefined) return send(res, 200, metrics.render(), undefined, PROMETHEUS_TYPE);
        const unavailable = `${JSON.stringify({ error: "metrics_unavailable", message: "the relay's metrics could not be gathered" })}\n`;
        return void options.scrape().then((text) => send(res, 200, text, undefined, PROMETHEUS_TYPE), () => send(res, 503, unavailable));
      }
      if (!draining() && ready()) return send(res, 200, READY);
      // Not a refusal of the caller: no warn line, or every probe would log one.
      const why = draining() ? "the relay is shutting down" : "the sink cannot take events now";
      return send(res, 503, `${JSON.stringify({ error: "not_ready", message: why })}\n`);
    }
    const route = routes.get(requestPath);
    if (route === undefined) return refuse(req, res, reject("not_found", `nothing is served at ${clip(requestPath)}`));
    if (req.method !== "POST") {
      // A GET callback's fields are in its query string, which the signature (over timestamp|body) does not cover.
      const why = req.method === "GET" ? "; set the callback's method to POST (e.g. statusCallbackMethod=\"POST\"): Telnyx signs the timestamp and the body, not a GET's query string, so its fields cannot be proven" : "";
      return refuse(req, res, reject("method_not_allowed", `${req.method} is not allowed on ${requestPath}; Telnyx webhooks are POSTed${why}`), { Allow: "POST" });
    }

    const headers = readRequestHeaders(req.rawHeaders);
    // The media types the event-type registry knows (the relay checks again, for its other callers).
    const media = acceptedMediaType(headers.contentType);
    if (media === undefined) {
      return refuse(req, res, unsupportedMediaType(), { "Accept-Post": ACCEPTED_CONTENT_TYPES.join(", ") });
    }
    const declared = Number(headers.contentLength ?? 0);
    if (declared > bodyLimit) {
      // Answer without reading the body, and close: the rest of it is never read.
      return refuse(req, res, reject("too_large", `body is larger than the limit of ${bodyLimit} bytes`), { Connection: "close" });
    }

    // Only now, with every header-level check passed, invite a client that waits for it to send
    // the body (curl does for bodies over 1 MB): a body that would be refused is never invited.
    if (headers.expectsContinue) res.writeContinue();
    readBody(req, bodyLimit, budget)
      .then((body) => {
        if (!(body instanceof Uint8Array)) {
          return refuse(req, res, body, body.reason === "too_large" ? { Connection: "close" } : undefined);
        }
        return relay({
          contentType: headers.contentType,
          timestampHeader: headers.timestamp,
          signatureHeader: headers.signature,
          body,
          ...(route.texmlKind === undefined ? {} : { texmlKind: route.texmlKind }),
        }).then((outcome) => {
          const answer = relayAnswer(outcome, media, texmlReply);
          if (!outcome.ok) return refused(req, res, outcome, answer);
          log.debug(outcome.duplicate ? "duplicate answered" : "event accepted", { id: outcome.id });
          send(res, answer.status, answer.body, answer.headers, answer.contentType);
        });
      })
      .catch((error: unknown) => {
        // A bug, not an expected rejection: answer 500 (Telnyx will deliver again) and say what broke.
        log.error("request failed", { error: String(error), stack: (error as Error | undefined)?.stack });
        send(res, 500, `${JSON.stringify({ error: "internal_error", message: "the relay failed to handle this request" })}\n`);
      });
  };
}
