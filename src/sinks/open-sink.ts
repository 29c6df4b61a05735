import type { Writable } from "node:stream";
import type { Config, SpoolConfig } from "../config/load.ts";
import type { Dedup } from "../pipeline/dedup.ts";
import type { Journal } from "../spool/journal.ts";
import type { Transport } from "../transports/transport.ts";
import { createHttpTransport } from "../transports/http/http-transport.ts";
import type { Logger } from "../lib/log.ts";
import type { Metrics } from "../lib/metrics.ts";
import type { BoundedDeadLetterFile } from "../lib/dead-letter-file.ts";
import type { Sink } from "./sink.ts";
import { createStreamSink } from "./stream-sink.ts";
import { createSyncSink } from "./sync-sink.ts";

/** What {@link openSink} needs from the process. */
export interface OpenSinkDeps {
  /** Where events go without a transport, one JSON line each (the caller's: not closed). */
  readonly stdout: Writable;
  readonly log: Logger;
  /** The clock, ms since the epoch. */
  readonly now: () => number;
  readonly metrics: Metrics;
  /** Where events the downstream refused for good are kept (spooled mode); the caller closes it. */
  readonly deadLetters: BoundedDeadLetterFile;
  /** The process's dedup set: spooled mode fills it with the ids the spool remembers. */
  readonly dedup: Dedup;
  /** Called once when stdout fails for good (the reader went away). */
  readonly onFatal: (error: Error) => void;
}

// Stdout may hold this much before new events wait for the reader.
const STDOUT_BUFFER_BYTES = 1 << 20;
// Synchronous forwarding: connections kept to the downstream (one per concurrent Telnyx request).
const SYNC_FORWARD_SOCKETS = 64;
// Spooled forwarding: the first retry waits up to this long, doubling up to --retry-max-delay.
const RETRY_BASE_DELAY_MS = 500;

/**
 * Opens the sink the config asks for: stdout without a transport; with one, synchronous (Telnyx's
 * 200 waits for the transport) or spooled (the 200 once on disk; a deliverer sends in the
 * background). The sink owns everything opened here (transport, journal, lock): its `close` lets
 * go of them. The two questions are apart: `openTransport` says how events leave (none: stdout),
 * the spool config says when Telnyx gets its 200.
 *
 * @param config The checked config.
 * @param deps Stdout, logger, clock, metrics, dead-letter file, dedup set, stdout's failure callback.
 * @returns The sink.
 * @throws {Error} When the spool directory is in use by another relay or the journal cannot be opened.
 * @example
 * ```ts
 * const sink = await openSink(config, { stdout: process.stdout, log, now: Date.now, metrics, deadLetters, dedup, onFatal });
 * ```
 */
export async function openSink(config: Config, deps: OpenSinkDeps): Promise<Sink> {
  const { now, metrics } = deps;
  // When Telnyx gets its 200: after the transport delivered (no spool), or once on disk.
  const spool = config.spool;
  // How events leave: no transport means stdout.
  const transport = await openTransport(config, spool?.concurrency ?? SYNC_FORWARD_SOCKETS, deps);
  if (transport === undefined) {
    return createStreamSink({ stream: deps.stdout, timeoutMs: config.sinkTimeoutMs, maxBufferedBytes: STDOUT_BUFFER_BYTES, onFatal: deps.onFatal, now });
  }
  if (spool === undefined) {
    // Only an HTTP downstream's answer goes back to Telnyx (a TeXML document); JetStream's PubAck does not.
    const http = config.nats === undefined;
    return createSyncSink({ transport, metrics, now, name: http ? "forward" : "nats", answers: http });
  }
  try {
    return await openSpoolSink(config, spool, transport, deps);
  } catch (error) {
    await transport.close();
    throw error;
  }
}

/**
 * How events leave, from the config: the one place a transport is chosen. The HTTP POST, or NATS
 * JetStream (loaded only when used; it connects and checks its stream here, before listening).
 */
async function openTransport(config: Config, concurrency: number, deps: OpenSinkDeps): Promise<Transport | undefined> {
  if (config.forward !== undefined) return createHttpTransport(config.forward, concurrency, deps.now);
  if (config.nats !== undefined) {
    const { openNatsTransport } = await import("../transports/nats/nats-transport.ts");
    // Synchronous mode cannot answer anything without NATS; spooled mode journals meanwhile.
    return openNatsTransport(config.nats, { log: deps.log, now: deps.now, random: Math.random, metrics: deps.metrics, mustConnect: config.spool === undefined, bodyLimit: config.bodyLimit });
  }
  return undefined;
}

/** Spooled mode: lock the directory, open the journal, start the deliverer on what it recovered. */
async function openSpoolSink(config: Config, spool: SpoolConfig, transport: Transport, deps: OpenSinkDeps): Promise<Sink> {
  const { log, now, metrics } = deps;
  // Loaded only in spooled mode: node:fs/promises and the journal cost about a millisecond of
  // every start otherwise (start-up is measured: npm run bench:startup).
  const [{ lockSpool }, { openJournal }, { createDeliverer }, { createSpoolSink }] = await Promise.all([
    import("../spool/lock.ts"),
    import("../spool/journal.ts"),
    import("./deliverer.ts"),
    import("./spool-sink.ts"),
  ]);
  const releaseLock = await lockSpool(spool.dir);
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
    await releaseLock();
    throw error;
  }
  for (const [id, at] of journal.recentIds) deps.dedup.remember(id, at);
  const deliverer = createDeliverer({
    transport,
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
  for (const event of journal.recovered) deliverer.deliver(event);
  return createSpoolSink({
    journal,
    maxBytes: spool.maxBytes,
    timeoutMs: config.sinkTimeoutMs,
    deliverer,
    transport,
    releaseLock,
    remember: (id, at) => deps.dedup.remember(id, at),
    log,
    now,
  });
}
