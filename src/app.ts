import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex, Writable } from "node:stream";
import type { Config } from "./config/load.ts";
import type { Logger } from "./lib/log.ts";
import { createVerifier } from "./pipeline/verify.ts";
import { eventFilter } from "./events/event-filter.ts";
import { createRelay } from "./pipeline/relay.ts";
import { createHttpHandler } from "./server/http-handler.ts";
import { bindAlone, createRelayServer, listen, type ServerTuning } from "./server/listen.ts";
import { createDeadLetterFile, type BoundedDeadLetterFile } from "./lib/dead-letter-file.ts";
import { openSink } from "./sinks/open-sink.ts";
import type { Sink } from "./sinks/sink.ts";
import { createDedup } from "./pipeline/dedup.ts";
import { createHandOn } from "./pipeline/hand-on.ts";
import { createMetrics, type Metrics } from "./lib/metrics.ts";
import { within } from "./lib/within.ts";
import type { HandOn } from "./pipeline/relay.ts";
import type { Workers } from "./workers/supervisor.ts";

/** What the running relay needs from the outside world. */
export interface AppIo {
  /** Where events go, one JSON line each. */
  readonly stdout: Writable;
  /** Structured log lines (stderr in the CLI). */
  readonly log: Logger;
  /** The clock, ms since the epoch. */
  readonly now: () => number;
}

/**
 * Which part this process plays. "main": it owns the sink and the dedup set, and with `--workers N`
 * starts N-1 worker processes. "worker": it answers on the same port and hands each valid event to
 * the main process over `channel`, which writes it (one writer for stdout or the spool, one dedup
 * set for all).
 */
export type AppRole = { readonly kind: "main" } | { readonly kind: "worker"; readonly index: number; readonly channel: Duplex };

/**
 * Where this process's events go: the sink, the dedup stage in front of it and the dead-letter file
 * in the main process; in a worker process, the channel to the main process, which owns all three.
 */
interface Outlet extends Pick<Sink, "name" | "ready" | "close"> {
  /** Spooled mode: undelivered events found in the spool at start-up. */
  readonly recovered: number | undefined;
  readonly handOn: HandOn;
  readonly deadLetters: BoundedDeadLetterFile;
  /** A worker's view of the whole relay's metrics (the main process sums them); undefined in the main process. */
  readonly scrape: (() => Promise<string>) | undefined;
  /** Tells whoever waits that this process listens (a worker's main process). */
  listening(): void;
}

/** A relay that is listening. */
export interface RunningApp {
  /** Where events go: "stdout", "forward", "nats" (synchronous) or "spool"; "main process" in a worker process. */
  readonly sink: string;
  /** Spooled mode: undelivered events found in the spool at start-up (being delivered now). */
  readonly recovered: number | undefined;
  readonly port: number;
  readonly address: string;
  /**
   * Stops accepting, finishes in-flight requests, flushes the sink; bounded by the shutdown timeout.
   * Resolves with the exit status: 0 for a requested stop, 1 after a failure.
   */
  stop(why: string): Promise<number>;
  /** Resolves with the exit status once the relay has stopped, whoever stopped it. */
  readonly stopped: Promise<number>;
}

// Request bodies held at once, all requests together: what many slow senders can hold.
const BODY_BUDGET_BYTES = 64 << 20;
// Ids remembered at most, whatever the window (~8 MB: 32 bytes an id with its index): a flood of
// distinct signed events cannot grow it further; the oldest are forgotten first.
const DEDUP_MAX_ENTRIES = 250_000;
// Worker processes must say they listen within this at start-up.
const WORKER_START_TIMEOUT_MS = 10_000;

/**
 * Wires the config into a listening relay: keys → verifier, stdout sink, dead-letter file, relay,
 * HTTP adapter, node:http server (see `createRelayServer`).
 *
 * @param config The checked config.
 * @param io Stdout, the logger and the clock.
 * @param role The main process (the default), or a worker of one.
 * @param tuning Server limits a test may lower (the connection cap); the defaults otherwise.
 * @returns The running relay, once it listens.
 * @throws {Error} If the server cannot listen (port in use, address not available…).
 * @example
 * ```ts
 * const app = await startApp(config, { stdout: process.stdout, log, now: Date.now });
 * process.once("SIGTERM", () => app.stop("SIGTERM"));
 * ```
 */
export async function startApp(config: Config, io: AppIo, role: AppRole = { kind: "main" }, tuning: ServerTuning = {}): Promise<RunningApp> {
  const { log, now } = io;
  let stopping: Promise<number> | undefined;
  let workers: Workers | undefined;
  let resolveStopped: (code: number) => void = () => {};
  const stopped = new Promise<number>((resolve) => {
    resolveStopped = resolve;
  });

  const metrics = createMetrics();
  const outlet = await openOutlet(config, io, role, metrics, (why) => void stop(why, 1));
  const verify = createVerifier({ keys: config.keys, toleranceSeconds: config.toleranceSeconds, now });
  const keep = eventFilter(config.events);
  const relay = createRelay({ verify, handOn: outlet.handOn, deadLetters: outlet.deadLetters, metrics, now, keep, warn: (message, fields) => log.warn(message, fields) });
  const handler = createHttpHandler({
    path: config.path,
    texmlReply: config.texmlReply,
    bodyLimit: config.bodyLimit,
    relay,
    log,
    bodyBudget: Math.max(BODY_BUDGET_BYTES, config.bodyLimit),
    draining: () => stopping !== undefined,
    ready: () => outlet.ready(),
    metrics,
    // The whole relay's metrics for GET /metrics: with workers, every process's summed.
    scrape: outlet.scrape ?? (async () => (workers === undefined ? metrics.render() : workers.scrape())),
  });
  const server = createRelayServer({ ...tuning, handler, requestTimeoutMs: config.requestTimeoutMs, log, metrics, now });

  let address;
  try {
    address = await bindPort(server, config, role, log);
  } catch (error) {
    await outlet.close(0);
    throw error;
  }
  outlet.listening();

  if (role.kind === "main" && config.workers > 1) {
    const { startWorkers } = await import("./workers/supervisor.ts");
    try {
      workers = await startWorkers({
        count: config.workers - 1,
        port: address.port,
        handOn: outlet.handOn,
        deadLetters: outlet.deadLetters,
        metrics: () => metrics.render(),
        ready: () => outlet.ready(),
        startTimeoutMs: WORKER_START_TIMEOUT_MS,
        log,
        now,
      });
    } catch (error) {
      server.close();
      await outlet.close(0);
      throw error;
    }
  }

  function stop(why: string, code = 0): Promise<number> {
    stopping ??= (async () => {
      const deadline = now() + config.shutdownTimeoutMs;
      log.info("stopping", { why, timeoutMs: config.shutdownTimeoutMs });
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // Workers drain too, and are killed at the deadline; their events come here until they have
      // exited, so the sink closes only after.
      const workersGone = workers?.stop(Math.max(0, deadline - now()));
      const finished = await within(closed, deadline - now());
      if (!finished) {
        log.warn("shutdown timeout: closing connections with requests still in flight");
        server.closeAllConnections();
      }
      await workersGone;
      await outlet.close(Math.max(0, deadline - now()));
      await outlet.deadLetters.close();
      log.info("stopped", { why, exitCode: code });
      resolveStopped(code);
      return code;
    })();
    return stopping;
  }

  return { sink: outlet.name, recovered: outlet.recovered, port: address.port, address: address.address, stop: (why) => stop(why), stopped };
}

/**
 * Opens where this process's events go. In the main process: the dead-letter file, the dedup stage
 * and the sink the config asks for. In a worker: the channel to the main process, which owns them.
 *
 * @param fail Stops the relay with exit status 1, saying why (the sink or the main process failed).
 */
async function openOutlet(config: Config, io: AppIo, role: AppRole, metrics: Metrics, fail: (why: string) => void): Promise<Outlet> {
  const { log, now } = io;
  if (role.kind === "worker") {
    // Loaded only in a worker process, like the supervisor only in a main process that has workers.
    const { connectToMain } = await import("./workers/connect-to-main.ts");
    const main = connectToMain(role.channel, { answerTimeoutMs: config.requestTimeoutMs, deadLetterPath: config.deadLetterFile, metrics: () => metrics.render(), now });
    void main.closed.then(() => {
      log.error("the main process is gone; stopping");
      fail("main process gone");
    });
    return {
      name: "main process",
      recovered: undefined,
      ready: main.ready,
      close: async () => main.close(),
      handOn: main.handOn,
      deadLetters: main.deadLetters,
      scrape: main.scrape,
      listening: main.listening,
    };
  }
  // A request waits on a dead letter as on the sink: --sink-timeout at most (a hung disk).
  const deadLetters = createDeadLetterFile(config.deadLetterFile, {
    maxBytes: config.deadLetterMaxBytes,
    timeoutMs: config.sinkTimeoutMs,
    onWarning: (message, fields) => log.warn(message, fields),
    // The request is answered 503 either way; the log says why (EISDIR, ENOSPC, Deno's NotCapable…).
    onError: (error) => log.error("dead-letter file cannot be written", { path: config.deadLetterFile, error: (error as NodeJS.ErrnoException).code ?? String((error as Error).message ?? error) }),
  });
  metrics.deadLetterFile(() => deadLetters.stats());
  const dedup = createDedup({ windowMs: config.dedupWindowMs, maxEntries: DEDUP_MAX_ENTRIES, now });
  const sink = await openSink(config, {
    ...io,
    metrics,
    deadLetters,
    dedup,
    onFatal: (error) => {
      log.error("stdout failed; stopping", { error: (error as NodeJS.ErrnoException).code ?? error.message });
      fail("stdout failed");
    },
  });
  return {
    name: sink.name,
    recovered: sink.recovered,
    // Not ready while a dead letter is overdue either: its disk hangs.
    ready: () => sink.ready() && !deadLetters.overdue(),
    close: (timeoutMs) => sink.close(timeoutMs),
    handOn: createHandOn(dedup, sink),
    deadLetters,
    scrape: undefined,
    listening: () => {},
  };
}

/**
 * Listens on the configured port. With workers, every process binds the port with SO_REUSEPORT
 * and the kernel spreads connections among them; SO_REUSEPORT would as gladly share the port with
 * another relay already on it (two writers, two dedup sets), so the main process first binds it
 * alone, which fails if it is taken.
 */
async function bindPort(server: Server, config: Config, role: AppRole, log: Logger): Promise<AddressInfo> {
  const shared = config.workers > 1;
  const port = role.kind === "main" && shared ? await bindAlone(config.port, config.host) : config.port;
  return listen(server, { port, host: config.host, reusePort: shared }, log);
}
