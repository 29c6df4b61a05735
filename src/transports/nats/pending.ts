// Requests waiting for their reply, keyed by the token at the end of their reply subject. A request
// keeps its frame until answered or timed out, so it can be written again on a new connection.
import type { Buffer } from "node:buffer";
import type { NatsHeaders } from "./parser.ts";

/** A reply to a request. */
export interface NatsReply {
  readonly headers: NatsHeaders | undefined;
  readonly payload: Buffer;
}

/** Why a request got no reply. `reached`: false when no server was connected to carry it. */
export class NatsRequestError extends Error {
  readonly reached: boolean;
  constructor(message: string, reached: boolean) {
    super(message);
    this.name = "NatsRequestError";
    this.reached = reached;
  }
}

interface Pending {
  readonly frame: Buffer;
  readonly resolve: (reply: NatsReply) => void;
  readonly reject: (error: NatsRequestError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/** The table of requests waiting for a reply. */
export interface PendingRequests {
  /** Adds a request: its promise settles with the reply, or a {@link NatsRequestError} after `timeoutMs`. */
  add(token: string, frame: Buffer, timeoutMs: number, connected: () => boolean): Promise<NatsReply>;
  /** Settles the request of `token` with its reply (an unknown token, e.g. a late reply, is ignored). */
  answer(token: string, reply: NatsReply): void;
  /** The frames of every request still waiting, oldest first. */
  frames(): Buffer[];
  /** Fails every request still waiting. */
  rejectAll(error: NatsRequestError): void;
  readonly size: () => number;
}

/**
 * Makes an empty table.
 *
 * @returns The table.
 * @example
 * ```ts
 * const pending = createPendingRequests();
 * const reply = pending.add("1", frame, 1500, () => socket !== undefined);
 * ```
 */
export function createPendingRequests(): PendingRequests {
  const table = new Map<string, Pending>();
  return {
    add(token, frame, timeoutMs, connected) {
      return new Promise<NatsReply>((resolve, reject) => {
        const timer = setTimeout(() => {
          table.delete(token);
          const reached = connected();
          reject(new NatsRequestError(reached ? `no reply within ${timeoutMs} ms` : `no NATS server connected within ${timeoutMs} ms`, reached));
        }, timeoutMs);
        table.set(token, { frame, resolve, reject, timer });
      });
    },
    answer(token, reply) {
      const request = table.get(token);
      if (request === undefined) return;
      table.delete(token);
      clearTimeout(request.timer);
      request.resolve(reply);
    },
    frames: () => [...table.values()].map((request) => request.frame),
    rejectAll(error) {
      for (const [token, request] of table) {
        table.delete(token);
        clearTimeout(request.timer);
        request.reject(error);
      }
    },
    size: () => table.size,
  };
}
