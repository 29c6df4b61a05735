import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import type { Logger } from "../lib/log.ts";
import type { Metrics } from "../lib/metrics.ts";
import { answerClientErrors } from "./client-error.ts";
import { guardConnections } from "./connection-guard.ts";

// Headers must arrive within this time (a connection that sends nothing is held no longer either);
// Node checks its timeouts on this interval.
const HEADERS_TIMEOUT_MS = 10_000;
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
// Longer than the idle timeout of the proxies that usually sit in front (60 s on AWS ALB, nginx's
// 60 s default): a backend that closes an idle connection first races the proxy's next request
// and turns it into a 502.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
// Connections at once; with the body budget, what many slow clients together can hold.
const MAX_CONNECTIONS = 1024;
// A refused connection (408, 400…) is destroyed this long after its answer, if the client has not
// closed it: long enough to read a one-line answer, short enough that ignoring our FIN frees no slot
// for long.
const CLOSE_GRACE_MS = 1_000;
// At most one "connection cap reached" warning this often: a flood must not flood the log too.
const CAP_WARNING_INTERVAL_MS = 10_000;

/** Limits a test may lower; the relay runs with the defaults. */
export interface ServerTuning {
  /** Connections held at once (default 1,024). */
  readonly maxConnections?: number;
  /** How long a refused connection may stay open after its answer (default 1 s). */
  readonly closeGraceMs?: number;
}

/** What {@link createRelayServer} needs. */
export interface RelayServerOptions extends ServerTuning {
  /** The request listener (also used for `Expect: 100-continue`). */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
  /** Whole-request deadline (`--request-timeout`); the header deadline is 10 s, or this if shorter. */
  readonly requestTimeoutMs: number;
  readonly log: Logger;
  readonly metrics: Metrics;
  /** The clock, ms since the epoch (for spacing the cap warnings). */
  readonly now: () => number;
}

/**
 * The node:http server of the relay, not yet listening: timeouts that keep slow or stalled clients
 * from holding it, a connection cap that closes the stalest idle connection first when it is reached
 * (see `guardConnections`), and the relay's JSON answers for what the parser refuses and for CONNECT.
 *
 * @param options The handler, the request timeout, the logger, metrics and clock, and limits.
 * @returns The server.
 * @example
 * ```ts
 * const server = createRelayServer({ handler, requestTimeoutMs: 30_000, log, metrics, now: Date.now });
 * const address = await listen(server, { port: 8080 });
 * ```
 */
export function createRelayServer(options: RelayServerOptions): Server {
  const { handler, requestTimeoutMs, log, metrics, now } = options;
  const server = createServer(
    {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs),
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    handler,
  );
  // Expect: 100-continue goes through the same handler, which invites the body only after the
  // header-level checks passed.
  server.on("checkContinue", handler);
  let warnedAt = -Infinity;
  let evicted = 0;
  let refused = 0;
  const guard = guardConnections(server, {
    maxConnections: options.maxConnections ?? MAX_CONNECTIONS,
    graceMs: options.closeGraceMs ?? CLOSE_GRACE_MS,
    onCapReached(outcome) {
      if (outcome === "evicted") evicted++;
      else refused++;
      if (now() - warnedAt < CAP_WARNING_INTERVAL_MS) return;
      warnedAt = now();
      log.warn("connection cap reached", { maxConnections: options.maxConnections ?? MAX_CONNECTIONS, idleClosed: evicted, refused });
      evicted = 0;
      refused = 0;
    },
  });
  answerClientErrors(server, guard, log, metrics);
  return server;
}

/** Where and how {@link listen} binds. */
export interface ListenOptions {
  readonly port: number;
  readonly host?: string | undefined;
  /** SO_REUSEPORT, for worker processes sharing the port. */
  readonly reusePort?: boolean;
}

/**
 * Starts listening; afterwards, server errors are logged.
 *
 * @param server The server from {@link createRelayServer}.
 * @param options Port, host, and whether the port is shared.
 * @param log Where later server errors go.
 * @returns The bound address.
 * @throws {Error} If the server cannot listen (port in use, address not available…).
 * @example
 * ```ts
 * const { port } = await listen(server, { port: 0, host: "127.0.0.1" }, log);
 * ```
 */
export async function listen(server: Server, options: ListenOptions, log: Logger): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: options.port, host: options.host, ...(options.reusePort ? { reusePort: true } : {}) }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => log.error("server error", { error: error.message }));
  return server.address() as AddressInfo;
}

/**
 * Binds the port without SO_REUSEPORT and lets it go again: fails (EADDRINUSE) if anything listens
 * there, shared or not. With workers, every process binds the port with SO_REUSEPORT, which would as
 * gladly share it with another relay already on it: the main process checks first with this.
 *
 * @param port The port (0: any).
 * @param host The address, or undefined for all.
 * @returns The port (the one the system picked, for port 0).
 * @throws {Error} If the port is taken.
 * @example
 * ```ts
 * const port = await bindAlone(8080, undefined);
 * ```
 */
export function bindAlone(port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once("error", reject);
    probe.listen({ port, host, exclusive: true }, () => {
      const bound = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(bound));
    });
  });
}
