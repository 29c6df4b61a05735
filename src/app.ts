import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Writable } from "node:stream";
import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import { createVerifier } from "./pipeline/verify.ts";
import { createRelay } from "./relay.ts";
import { createHttpHandler } from "./server/http-handler.ts";
import { createDeadLetterFile } from "./sinks/dead-letter.ts";
import { createStreamSink } from "./sinks/stream-sink.ts";
import { within } from "./within.ts";

/** What the running relay needs from the outside world. */
export interface AppIo {
  /** Where events go, one JSON line each. */
  readonly stdout: Writable;
  readonly log: Logger;
  readonly now: () => number;
}

/** A relay that is listening. */
export interface RunningApp {
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
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;
// Stdout may hold this much before new events wait for the reader.
const STDOUT_BUFFER_BYTES = 1 << 20;

/**
 * Wires the config into a listening relay: keys → verifier, stdout sink, dead-letter file, relay,
 * HTTP adapter, node:http server with timeouts that keep slow or stalled clients from holding it.
 *
 * @param config The checked config.
 * @param io Stdout, the logger and the clock.
 * @returns The running relay, once it listens.
 * @throws {Error} If the server cannot listen (port in use, address not available…).
 * @example
 * ```ts
 * const app = await startApp(config, { stdout: process.stdout, log, now: Date.now });
 * process.once("SIGTERM", () => app.stop("SIGTERM"));
 * ```
 */
export async function startApp(config: Config, io: AppIo): Promise<RunningApp> {
  const { log, now } = io;
  let stopping: Promise<number> | undefined;
  let resolveStopped: (code: number) => void = () => {};
  const stopped = new Promise<number>((resolve) => {
    resolveStopped = resolve;
  });

  const sink = createStreamSink({
    stream: io.stdout,
    timeoutMs: config.sinkTimeoutMs,
    maxBufferedBytes: STDOUT_BUFFER_BYTES,
    onFatal: (error) => {
      log.error("stdout failed; stopping", { error: (error as NodeJS.ErrnoException).code ?? error.message });
      void stop("stdout failed", 1);
    },
  });
  const deadLetters = createDeadLetterFile(config.deadLetterFile);
  const verify = createVerifier({ keys: config.keys, toleranceSeconds: config.toleranceSeconds, now });
  const relay = createRelay({ verify, sink, deadLetters, now });
  const handler = createHttpHandler({
    path: config.path,
    bodyLimit: config.bodyLimit,
    relay,
    log,
    draining: () => stopping !== undefined,
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
  // An idle or stalled socket (no bytes either way) is dropped after the request timeout too.
  server.timeout = config.requestTimeoutMs;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: config.port, host: config.host }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (error) => log.error("server error", { error: error.message }));
  const address = server.address() as AddressInfo;

  function stop(why: string, code = 0): Promise<number> {
    stopping ??= (async () => {
      const deadline = now() + config.shutdownTimeoutMs;
      log.info("stopping", { why, timeoutMs: config.shutdownTimeoutMs });
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const finished = await within(closed, deadline - now());
      if (!finished) {
        log.warn("shutdown timeout: closing connections with requests still in flight");
        server.closeAllConnections();
      }
      await sink.flush(Math.max(0, deadline - now()));
      await deadLetters.close();
      log.info("stopped", { why, exitCode: code });
      resolveStopped(code);
      return code;
    })();
    return stopping;
  }

  return { port: address.port, address: address.address, stop: (why) => stop(why), stopped };
}
