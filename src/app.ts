import { createServer, STATUS_CODES, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Socket } from "node:net";
import type { Duplex, Writable } from "node:stream";
import type { Config } from "./config/load.ts";
import type { Logger } from "./lib/log.ts";
import { reject } from "./pipeline/rejection.ts";
import { createVerifier } from "./pipeline/verify.ts";
import { createRelay } from "./pipeline/relay.ts";
import { createHttpHandler } from "./server/http-handler.ts";
import { createDeadLetterFile, type BoundedDeadLetterFile, type DeadLetterFile } from "./sinks/dead-letter.ts";
import { createStreamSink } from "./sinks/stream-sink.ts";
import { createForwardSink } from "./sinks/forward-sink.ts";
import type { Sink } from "./sinks/sink.ts";
import { createPoster } from "./transports/http/post-event.ts";
import type { Journal } from "./spool/journal.ts";
import { createDedup, type Dedup } from "./pipeline/dedup.ts";
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

/** A relay that is listening. */
export interface RunningApp {
  /** Where events go: "stdout", "forward" or "spool"; "main process" in a worker process. */
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

// Headers must arrive within this time; Node checks its timeouts on this interval.
const HEADERS_TIMEOUT_MS = 10_000;
// Longer than the idle timeout of the proxies that usually sit in front (60 s on AWS ALB, nginx's
// 60 s default): a backend that closes an idle connection first races the proxy's next request
// and turns it into a 502.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
// Connections at once; with BODY_BUDGET_BYTES, what many slow clients together can hold.
const MAX_CONNECTIONS = 1024;
const BODY_BUDGET_BYTES = 64 << 20;
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
// Stdout may hold this much before new events wait for the reader.
const STDOUT_BUFFER_BYTES = 1 << 20;
// Ids remembered at most, whatever the window (~8 MB: 32 bytes an id with its index): a flood of
// distinct signed events cannot grow it further; the oldest are forgotten first.
const DEDUP_MAX_ENTRIES = 250_000;
// Worker processes must say they listen within this at start-up.
const WORKER_START_TIMEOUT_MS = 10_000;
// Synchronous forwarding: connections kept to the downstream (one per concurrent Telnyx request).
const SYNC_FORWARD_SOCKETS = 64;
// Spooled forwarding: the first retry waits up to this long, doubling up to --retry-max-delay.
const RETRY_BASE_DELAY_MS = 500;

/**
 * Wires the config into a listening relay: keys → verifier, stdout sink, dead-letter file, relay,
 * HTTP adapter, node:http server with timeouts that keep slow or stalled clients from holding it.
 *
 * @param config The checked config.
 * @param io Stdout, the logger and the clock.
 * @param role The main process (the default), or a worker of one.
 * @returns The running relay, once it listens.
 * @throws {Error} If the server cannot listen (port in use, address not available…).
 * @example
 * ```ts
 * const app = await startApp(config, { stdout: process.stdout, log, now: Date.now });
 * process.once("SIGTERM", () => app.stop("SIGTERM"));
 * ```
 */
export async function startApp(config: Config, io: AppIo, role: AppRole = { kind: "main" }): Promise<RunningApp> {
  const { log, now } = io;
  let stopping: Promise<number> | undefined;
  let onListening = (): void => {};
  let workers: Workers | undefined;
  let resolveStopped: (code: number) => void = () => {};
  const stopped = new Promise<number>((resolve) => {
    resolveStopped = resolve;
  });

  const metrics = createMetrics();
  let deadLetters: BoundedDeadLetterFile;
  let sink: Sink;
  let handOn: HandOn;
  // The whole relay's metrics for GET /metrics: with workers, every process's summed.
  let scrape = async (): Promise<string> => (workers === undefined ? metrics.render() : workers.scrape());
  if (role.kind === "worker") {
    // Loaded only in a worker process, like the supervisor only in a main process that has workers.
    const { connectToMain } = await import("./workers/connect-to-main.ts");
    const main = connectToMain(role.channel, { answerTimeoutMs: config.requestTimeoutMs, deadLetterPath: config.deadLetterFile, metrics: () => metrics.render(), now });
    void main.closed.then(() => {
      log.error("the main process is gone; stopping");
      void stop("main process gone", 1);
    });
    handOn = main.handOn;
    deadLetters = main.deadLetters;
    scrape = main.scrape;
    // What the relay needs of a sink here: the main process owns the real one.
    sink = { name: "main process", deliver: async () => reject("sink_unavailable", "a worker has no sink"), ready: main.ready, close: async () => main.close() };
    onListening = main.listening;
  } else {
    deadLetters = createDeadLetterFile(config.deadLetterFile);
    metrics.deadLetterFile(() => deadLetters.stats());
    const dedup = createDedup({ windowMs: config.dedupWindowMs, maxEntries: DEDUP_MAX_ENTRIES, now });
    const mainSink = await openSink(config, {
      ...io,
      metrics,
      deadLetters,
      dedup,
      onFatal: (error) => {
        log.error("stdout failed; stopping", { error: (error as NodeJS.ErrnoException).code ?? error.message });
        void stop("stdout failed", 1);
      },
    });
    sink = mainSink;
    handOn = (event) => dedup.once(event.id, () => mainSink.deliver(event));
  }
  const verify = createVerifier({ keys: config.keys, toleranceSeconds: config.toleranceSeconds, now });
  const relay = createRelay({ verify, handOn, deadLetters, metrics, now });
  const handler = createHttpHandler({
    path: config.path,
    bodyLimit: config.bodyLimit,
    relay,
    log,
    bodyBudget: Math.max(BODY_BUDGET_BYTES, config.bodyLimit),
    draining: () => stopping !== undefined,
    ready: () => sink.ready(),
    metrics,
    scrape: () => scrape(),
  });

  const server: Server = createServer(
    {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: Math.min(HEADERS_TIMEOUT_MS, config.requestTimeoutMs),
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    handler,
  );
  server.maxConnections = MAX_CONNECTIONS;
  // Expect: 100-continue goes through the same handler, which invites the body only after the
  // header-level checks passed.
  server.on("checkContinue", handler);
  // Requests Node's parser refuses itself (malformed, headers too large, too slow) get the same
  // one-line JSON answer and log line as the relay's own refusals.
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Socket) => {
    const status = error.code === "HPE_HEADER_OVERFLOW" ? 431 : error.code === "ERR_HTTP_REQUEST_TIMEOUT" ? 408 : 400;
    if (error.code !== "ECONNRESET" && error.code !== "EPIPE") {
      log.warn("request refused", { status, reason: "bad_request", detail: error.code ?? error.message, remote: socket.remoteAddress });
      metrics.request(status);
    }
    // As Node's default handler: answer only if no response has begun on this socket.
    const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !current?.headersSent) {
      const body = `${JSON.stringify({ error: "bad_request", message: `the request could not be read (${error.code ?? "malformed"})` })}\n`;
      socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
    } else {
      socket.destroy();
    }
  });

  // With workers, every process binds the port with SO_REUSEPORT and the kernel spreads connections
  // among them. SO_REUSEPORT would as gladly share the port with another relay already on it (two
  // writers, two dedup sets): the main process first binds it alone, which fails if it is taken.
  let port = config.port;
  if (role.kind === "main" && config.workers > 1) {
    try {
      port = await bindAlone(port, config.host);
    } catch (error) {
      await sink.close(0);
      throw error;
    }
  }
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error): void => {
      void sink.close(0).finally(() => reject(error));
    };
    server.once("error", failed);
    server.listen({ port, host: config.host, ...(config.workers > 1 ? { reusePort: true } : {}) }, () => {
      server.off("error", failed);
      resolve();
    });
  });
  server.on("error", (error) => log.error("server error", { error: error.message }));
  const address = server.address() as AddressInfo;
  onListening();

  if (role.kind === "main" && config.workers > 1) {
    const { startWorkers } = await import("./workers/supervisor.ts");
    try {
      workers = await startWorkers({
        count: config.workers - 1,
        port: address.port,
        handOn,
        deadLetters,
        metrics: () => metrics.render(),
        ready: () => sink.ready(),
        startTimeoutMs: WORKER_START_TIMEOUT_MS,
        log,
        now,
      });
    } catch (error) {
      server.close();
      await sink.close(0);
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
      await sink.close(Math.max(0, deadline - now()));
      await deadLetters.close();
      log.info("stopped", { why, exitCode: code });
      resolveStopped(code);
      return code;
    })();
    return stopping;
  }

  return { sink: sink.name, recovered: sink.recovered, port: address.port, address: address.address, stop: (why) => stop(why), stopped };
}

/**
 * Binds the port without SO_REUSEPORT and lets it go again: fails (EADDRINUSE) if anything listens
 * there, shared or not.
 *
 * @returns The port (the one the system picked, for port 0).
 */
function bindAlone(port: number, host: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once("error", reject);
    probe.listen({ port, host, exclusive: true }, () => {
      const bound = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(bound));
    });
  });
}

interface SinkDeps extends AppIo {
  readonly metrics: Metrics;
  readonly deadLetters: DeadLetterFile;
  readonly dedup: Dedup;
  readonly onFatal: (error: Error) => void;
}

/** The sink the config asks for: stdout, synchronous forwarding, or the spool and its deliverer. */
async function openSink(config: Config, deps: SinkDeps): Promise<Sink> {
  const { log, now, metrics } = deps;
  const forward = config.forward;
  if (forward === undefined) {
    return createStreamSink({ stream: deps.stdout, timeoutMs: config.sinkTimeoutMs, maxBufferedBytes: STDOUT_BUFFER_BYTES, onFatal: deps.onFatal });
  }
  if (forward.spool === undefined) {
    const poster = createPoster(forward, SYNC_FORWARD_SOCKETS, now);
    return createForwardSink({ post: poster.post, closePoster: poster.close, metrics, now });
  }

  const spool = forward.spool;
  // Loaded only in spooled mode: node:fs/promises and the journal cost about a millisecond of
  // every start otherwise (start-up is measured: npm run bench:startup).
  const [{ lockSpool }, { openJournal }, { createDeliverer }, { createSpoolSink }] = await Promise.all([
    import("./spool/lock.ts"),
    import("./spool/journal.ts"),
    import("./transports/deliverer.ts"),
    import("./sinks/spool-sink.ts"),
  ]);
  const release = await lockSpool(spool.dir);
  let journal: Journal;
  try {
    journal = await openJournal({
      dir: spool.dir,
      maxBytes: spool.maxBytes,
      dedupWindowMs: config.dedupWindowMs,
      now,
      onWarning: (message, fields) => log.warn(message, fields),
    });
  } catch (error) {
    await release();
    throw error;
  }
  for (const [id, at] of journal.recentIds) deps.dedup.remember(id, at);
  const poster = createPoster(forward, spool.concurrency, now);
  const deliverer = createDeliverer({
    post: poster.post,
    ack: (id) => journal.ack(id),
    deadLetters: deps.deadLetters,
    concurrency: spool.concurrency,
    baseDelayMs: RETRY_BASE_DELAY_MS,
    maxDelayMs: spool.retryMaxDelayMs,
    random: Math.random,
    now,
    log,
    metrics,
  });
  metrics.spool(() => ({ depth: journal.depth(), bytes: journal.bytes() }));
  for (const event of journal.recovered) deliverer.enqueue(event);
  const sink = createSpoolSink({ journal, maxBytes: spool.maxBytes, deliverer, closePoster: poster.close, log, now });
  return {
    ...sink,
    async close(timeoutMs) {
      await sink.close(timeoutMs);
      await release();
    },
  };
}
