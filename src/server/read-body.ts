import { Buffer } from "node:buffer";
import type { IncomingMessage } from "node:http";
import { reject, type Rejection } from "../pipeline/rejection.ts";

const EMPTY = new Uint8Array(0);

/**
 * Reads a request body as raw bytes, refusing it as soon as it passes `limit` bytes.
 *
 * Bytes are counted as they arrive, whatever Content-Length said: a chunked body, or one longer than
 * its declared length, cannot make the relay buffer more than the limit. A one-chunk body (the usual
 * case for a small webhook) is returned without a copy.
 *
 * @param request The incoming request, not yet read.
 * @param limit The most bytes accepted.
 * @returns The bytes, a `too_large` rejection, or a `bad_request` rejection if the client went away.
 * @example
 * ```ts
 * const body = await readBody(req, 256 * 1024);
 * if (!(body instanceof Uint8Array)) return respond(body);
 * ```
 */
export function readBody(request: IncomingMessage, limit: number): Promise<Uint8Array | Rejection> {
  return new Promise((resolve) => {
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;

    const finish = (result: Uint8Array | Rejection): void => {
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onAbort);
      request.off("close", onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        // Stop here: the caller answers 413 and closes the connection instead of reading the rest.
        request.pause();
        finish(reject("too_large", `body is larger than the limit of ${limit} bytes`));
        return;
      }
      if (first === undefined) first = chunk;
      else (chunks ??= [first]).push(chunk);
    };
    const onEnd = (): void => finish(chunks ? Buffer.concat(chunks, size) : (first ?? EMPTY));
    const onAbort = (): void => finish(reject("bad_request", "the request body was not received completely"));

    request.on("data", onData);
    request.on("end", onEnd);
    request.on("error", onAbort);
    request.on("close", onAbort);
  });
}
