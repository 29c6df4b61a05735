import { Buffer } from "node:buffer";
import { STATUS_CODES, type IncomingMessage, type Server } from "node:http";
import type { Duplex } from "node:stream";
import type { Socket } from "node:net";
import type { Logger } from "../lib/log.ts";
import type { Metrics } from "../lib/metrics.ts";
import { clip } from "./clip.ts";
import type { ConnectionGuard } from "./connection-guard.ts";

// Every method the relay serves somewhere; a CONNECT names no path, so it gets them all.
const SERVED_METHODS = "GET, HEAD, POST";

/**
 * Answers what node:http does not hand to the request handler, with the same one-line JSON body
 * and `request refused` log line as the handler's own refusals:
 * - requests its parser refuses (`clientError`): 400 malformed, 431 headers over 16 KiB, 408 not
 *   received within the header or request deadline; logged once per connection (a body cut short is
 *   logged by the handler reading it), written after the answers to requests received before on the
 *   same connection;
 * - CONNECT (`connect`), which node:http would close without a word: 405 with `Allow`.
 *
 * @param server The node:http server.
 * @param guard Its connection guard, which writes the answer and closes the connection for sure.
 * @param log Where refusals are logged.
 * @param metrics Where answers are counted.
 * @example
 * ```ts
 * answerClientErrors(server, guardConnections(server, limits), log, metrics);
 * ```
 */
export function answerClientErrors(server: Server, guard: ConnectionGuard, log: Logger, metrics: Metrics): void {
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === "ECONNRESET" || error.code === "EPIPE") {
      // The client is gone: there is nobody to answer.
      socket.destroy();
      return;
    }
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    const message = `the request could not be read (${error.code ?? "malformed"})`;
    const refusal = guard.refuse(socket, rawAnswer(status, "bad_request", message));
    if (refusal === "repeated") return;
    metrics.request(status);
    if (refusal === "new") log.warn("request refused", { status, reason: "bad_request", detail: error.code ?? error.message, remote: socket.remoteAddress });
  });

  server.on("connect", (req: IncomingMessage, socket: Duplex) => {
    const message = `${req.method} is not allowed; Telnyx webhooks are POSTed`;
    if (guard.refuse(socket as Socket, rawAnswer(405, "method_not_allowed", message, `Allow: ${SERVED_METHODS}\r\n`)) === "new") {
      log.warn("request refused", { status: 405, reason: "method_not_allowed", detail: message, method: req.method, path: clip(req.url ?? ""), remote: req.socket.remoteAddress });
      metrics.request(405);
    }
  });
}

/** A whole HTTP/1.1 answer that closes the connection, with a one-line JSON body. */
function rawAnswer(status: number, error: string, message: string, extraHeaders = ""): string {
  const body = `${JSON.stringify({ error, message })}\n`;
  return (
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `${extraHeaders}Connection: close\r\n\r\n${body}`
  );
}
