import { Buffer } from "node:buffer";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the downstream received. */
export interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** How the downstream answers one request: a status (with optional headers and body), or never. */
export type Answer = { readonly status: number; readonly headers?: Record<string, string>; readonly body?: string } | "hang";

/** A real node:http downstream on 127.0.0.1 that records what it receives. */
export interface Downstream {
  readonly port: number;
  readonly url: string;
  readonly received: Received[];
  /** Replaces how it answers from now on; `n` counts requests from 0. */
  answer(respond: (request: Received, n: number) => Answer): void;
  /** Resolves once `count` requests have arrived in total. */
  waitFor(count: number): Promise<void>;
  /** Stops listening and drops every connection (hung ones included). */
  close(): Promise<void>;
}

/**
 * Starts a downstream that answers 200 until told otherwise.
 *
 * @param port A fixed port (to bring a downstream "back" where a relay expects it), or 0.
 */
export async function startDownstream(port = 0): Promise<Downstream> {
  const received: Received[] = [];
  let respond: (request: Received, n: number) => Answer = () => ({ status: 200 });
  const waiters: Array<{ count: number; resolve: () => void }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const request = { headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      const n = received.length;
      received.push(request);
      for (const waiter of [...waiters]) {
        if (received.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
      const answer = respond(request, n);
      if (answer === "hang") return;
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body ?? "");
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => resolve());
  });
  const actual = (server.address() as AddressInfo).port;
  return {
    port: actual,
    url: `http://127.0.0.1:${actual}/events`,
    received,
    answer(next) {
      respond = next;
    },
    waitFor(count) {
      if (received.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close() {
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

/** A loopback port with nothing listening on it (opened, then closed). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
