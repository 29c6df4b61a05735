import { Buffer } from "node:buffer";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Logger } from "../log.ts";
import { reject, statusOf, type Rejection } from "../pipeline/rejection.ts";
import type { HeaderValue } from "../pipeline/verify.ts";
import type { Relay } from "../relay.ts";
import { readBody } from "./read-body.ts";

/** What {@link createHttpHandler} needs. */
export interface HttpHandlerOptions {
  /** The path Telnyx POSTs to; the query string, if any, is ignored. */
  readonly path: string;
  /** The most body bytes read. */
  readonly bodyLimit: number;
  readonly relay: Relay;
  readonly log: Logger;
  /** True once shutdown began: answers then carry `Connection: close`. */
  readonly draining: () => boolean;
}

const HEALTH_PATH = "/healthz";
const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";
const HEALTHY = `${JSON.stringify({ status: "ok" })}\n`;

/**
 * The node:http adapter around the relay: routing, the admission checks that need only headers
 * (method, path, media type, declared length), the bounded body read, and the answer.
 *
 * Routes: `POST <path>` → the relay; `GET`/`HEAD /healthz` → 200. Other methods on those paths → 405
 * with `Allow`; other paths → 404. Every error answer is one JSON line `{"error","message"}`, and is
 * logged on stderr with the same reason.
 *
 * @param options The path, body limit, relay, logger and draining flag.
 * @returns A `request` listener for `http.createServer`.
 * @example
 * ```ts
 * http.createServer(createHttpHandler({ path: "/webhooks/telnyx", bodyLimit: 262144, relay, log, draining: () => false }));
 * ```
 */
export function createHttpHandler(options: HttpHandlerOptions) {
  const { path, bodyLimit, relay, log, draining } = options;

  const refuse = (req: IncomingMessage, res: ServerResponse, rejection: Rejection, headers?: Record<string, string>): void => {
    const status = statusOf(rejection.reason);
    log.warn("request refused", {
      status,
      reason: rejection.reason,
      detail: rejection.detail,
      method: req.method,
      path: req.url,
      remote: req.socket.remoteAddress,
    });
    send(res, status, `${JSON.stringify({ error: rejection.reason, message: rejection.detail })}\n`, headers);
  };

  const send = (res: ServerResponse, status: number, body: string, headers?: Record<string, string>): void => {
    if (res.headersSent || res.destroyed) return;
    res.statusCode = status;
    res.setHeader("Content-Type", JSON_TYPE);
    res.setHeader("Content-Length", Buffer.byteLength(body));
    if (headers) for (const name in headers) res.setHeader(name, headers[name] as string);
    if (draining()) res.setHeader("Connection", "close");
    res.end(body);
  };

  return function handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? "/";
    const query = url.indexOf("?");
    const requestPath = query === -1 ? url : url.slice(0, query);

    if (requestPath === HEALTH_PATH) {
      if (req.method === "GET" || req.method === "HEAD") return send(res, 200, HEALTHY);
      return refuse(req, res, reject("method_not_allowed", `${req.method} is not allowed on ${HEALTH_PATH}; use GET`), { Allow: "GET, HEAD" });
    }
    if (requestPath !== path) return refuse(req, res, reject("not_found", `nothing is served at ${requestPath}`));
    if (req.method !== "POST") {
      return refuse(req, res, reject("method_not_allowed", `${req.method} is not allowed on ${path}; Telnyx webhooks are POSTed`), { Allow: "POST" });
    }

    if (!isForm(req.headers["content-type"])) {
      return refuse(req, res, reject("unsupported_media_type", `Content-Type must be ${FORM}`), { Accept: FORM });
    }
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > bodyLimit) {
      // Answer without reading the body, and close: the rest of it is never read.
      return refuse(req, res, reject("too_large", `body is larger than the limit of ${bodyLimit} bytes`), { Connection: "close" });
    }

    readBody(req, bodyLimit)
      .then((body) => {
        if (!(body instanceof Uint8Array)) {
          return refuse(req, res, body, body.reason === "too_large" ? { Connection: "close" } : undefined);
        }
        return relay({
          timestampHeader: headerValues(req.rawHeaders, "telnyx-timestamp"),
          signatureHeader: headerValues(req.rawHeaders, "telnyx-signature-ed25519"),
          body,
        }).then((outcome) => {
          if (!outcome.ok) return refuse(req, res, outcome, statusOf(outcome.reason) === 503 ? { "Retry-After": "1" } : undefined);
          send(res, 200, `{"status":"accepted","id":"${outcome.id}"}\n`);
        });
      })
      .catch((error: unknown) => {
        // A bug, not an expected rejection: answer 500 (Telnyx will deliver again) and say what broke.
        log.error("request failed", { error: String(error), stack: (error as Error | undefined)?.stack });
        send(res, 500, `${JSON.stringify({ error: "internal_error", message: "the relay failed to handle this request" })}\n`);
      });
  };
}

/** True for `application/x-www-form-urlencoded`, with or without parameters such as `charset`. */
function isForm(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const end = contentType.indexOf(";");
  return (end === -1 ? contentType : contentType.slice(0, end)).trim().toLowerCase() === FORM;
}

/**
 * A header's value(s) from the raw header list. `req.headers` joins a repeated unknown header with
 * ", ", which would hide a repeated signature header behind a malformed one; the raw list does not.
 */
function headerValues(raw: readonly string[], lowerCaseName: string): HeaderValue {
  let found: string | string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length !== lowerCaseName.length || name.toLowerCase() !== lowerCaseName) continue;
    const value = raw[i + 1] as string;
    if (found === undefined) found = value;
    else if (typeof found === "string") found = [found, value];
    else found.push(value);
  }
  return found;
}
