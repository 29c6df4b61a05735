import { Buffer } from "node:buffer";
import type { IncomingMessage } from "node:http";
import { reject, type Rejection } from "../pipeline/rejection.ts";

const EMPTY = new Uint8Array(0);

/** Bytes shared by every request being read: taken per chunk, given back when the request is done. */
export interface ByteBudget {
  take(bytes: number): boolean;
  give(bytes: number): void;
}

/**
 * Makes a budget of body bytes held in memory at once, across all requests.
 *
 * @param limit The most bytes held together.
 * @returns The budget.
 * @example
 * ```ts
 * const budget = createByteBudget(64 << 20);
 * ```
 */
export function createByteBudget(limit: number): ByteBudget {
  let held = 0;
  return {
    take(bytes) {
      if (held + bytes > limit) return false;
      held += bytes;
      return true;
    },
    give(bytes) {
      held -= bytes;
    },
  };
}

/**
 * Reads a request body as raw bytes, refusing it as soon as it passes `limit` bytes.
 *
 * Bytes are counted as they arrive, whatever Content-Length said: a chunked body, or one longer than
 * its declared length, cannot make the relay buffer more than the limit. A one-chunk body (the usual
 * case for a small webhook) is returned without a copy.
 *
 * @param request The incoming request, not yet read.
 * @param limit The most bytes accepted.
 * @param budget The bytes all requests may hold together; the body's share is given back once the
 *   promise settles (the caller is done with the bytes by the time it answers).
 * @returns The bytes, a `too_large` rejection, an `overloaded` rejection when the shared budget is
 *   spent, or a `bad_request` rejection if the client went away.
 * @example
 * ```ts
 * const body = await readBody(req, 256 * 1024);
 * if (!(body instanceof Uint8Array)) return respond(body);
 * ```
 */
export function readBody(request: IncomingMessage, limit: number, budget: ByteBudget): Promise<Uint8Array | Rejection> {
  return new Promise((resolve) => {
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;

    const finish = (result: Uint8Array | Rejection): void => {
      // The bytes go back to the budget once the body is complete: the budget bounds bodies still
      // arriving (slow senders holding memory); a complete body is answered within the sink timeout.
      budget.give(size);
      request.off("data", onData);
      request.off("end", onEnd);
      request.off("error", onAbort);
      request.off("close", onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      if (!budget.take(chunk.length)) {
        request.pause();
        finish(reject("overloaded", "the relay holds too many request bodies at once; try again"));
        return;
      }
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
