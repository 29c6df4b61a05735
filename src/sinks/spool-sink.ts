import type { EncodedEvent } from "../pipeline/cloud-event.ts";
import { reject, type Rejection } from "../pipeline/rejection.ts";
import { DISK_RETRY_MS } from "../spool/disk-retry.ts";
import type { Journal } from "../spool/journal.ts";
import type { Transport } from "../transports/transport.ts";
import type { Logger } from "../lib/log.ts";
import { within } from "../lib/within.ts";
import type { Deliverer } from "./deliverer.ts";
import { DELIVERED, type Delivered, type Sink } from "./sink.ts";

/** What {@link createSpoolSink} needs. */
export interface SpoolSinkOptions {
  readonly journal: Journal;
  /** The journal's size limit: with its counted bytes ({@link Journal.countedBytes}) at or past it the sink is not ready. */
  readonly maxBytes: number;
  readonly deliverer: Deliverer;
  /** The deliverer's transport: the sink closes it once the deliverer has stopped. */
  readonly transport: Transport;
  /** Lets go of the spool directory's lock: the sink calls it last, once the journal is closed (or abandoned). */
  readonly releaseLock: () => Promise<void>;
  readonly log: Logger;
  readonly now: () => number;
}


/**
 * The spooled forwarding sink: an event is delivered once it is in the journal and on disk
 * (fdatasync, shared by concurrent requests); the deliverer then forwards it in the background.
 * A full spool is `spool_full`, a failing disk `sink_unavailable`: both 503, so Telnyx delivers again.
 * An event whose id is already in the spool, not yet delivered, is answered as delivered once that
 * copy is on disk, and is not handed to the deliverer again (it already has that copy).
 * The sink owns the journal, the deliverer, its transport and the directory lock: `close` lets go
 * of all four.
 *
 * @param options The journal, the deliverer and its transport, the lock, the logger and the clock.
 * @returns The sink.
 * @example
 * ```ts
 * const sink = createSpoolSink({ journal, maxBytes: 64 * 1024 * 1024, deliverer, transport, releaseLock, log, now: Date.now });
 * ```
 */
export function createSpoolSink(options: SpoolSinkOptions): Sink {
  const { journal, maxBytes, deliverer, transport, releaseLock, log, now } = options;
  // When the last append failed on the disk; the sink reports not ready for a while after it.
  let diskFailedAt: number | undefined;
  // The spool's counted size when an append last found it full: not ready until compaction frees
  // room, or an append succeeds again.
  let fullAt: number | undefined;

  async function deliver(event: EncodedEvent): Promise<Delivered | Rejection> {
    const spooled = { id: event.id, json: event.json, acceptedAt: now() };
    let appended: "ok" | "full" | "pending";
    try {
      appended = await journal.append(spooled);
    } catch (error) {
      if (diskFailedAt === undefined) log.error("spool write failed", { error: (error as NodeJS.ErrnoException).code ?? String(error) });
      diskFailedAt = now();
      return reject("sink_unavailable", "the spool could not be written");
    }
    diskFailedAt = undefined;
    if (appended === "full") {
      fullAt = journal.countedBytes();
      return reject("spool_full", "the spool is at its size limit; the downstream is behind");
    }
    // There was room after all: ready again, even if the spool has not shrunk below where it was full.
    fullAt = undefined;
    // "pending": the same id is already spooled and on its way; a second copy to the deliverer
    // would POST one id twice at once.
    if (appended === "ok") deliverer.deliver(spooled);
    return DELIVERED;
  }

  return {
    name: "spool",
    recovered: journal.recovered.length,
    deliver,
    ready: () => {
      // After a failed write, not ready until the journal would try the disk again (see DISK_RETRY_MS).
      if (diskFailedAt !== undefined && now() - diskFailedAt <= DISK_RETRY_MS) return false;
      const counted = journal.countedBytes();
      if (fullAt !== undefined && counted >= fullAt) return false;
      return counted < maxBytes;
    },
    async close(timeoutMs) {
      // In-flight deliveries are cut: they were not acknowledged, so the next start sends them again.
      deliverer.stop();
      await transport.close();
      // Flushing the last acks is bounded by the shutdown deadline. What is not on disk when it
      // passes is delivered again after the next start (at least once, never lost).
      const closing = journal.close();
      closing.catch(() => {}); // observed below, or abandoned when time runs out
      try {
        if (await within(closing, timeoutMs)) {
          await closing;
        } else {
          log.warn("spool: the journal did not finish closing within the shutdown timeout", { timeoutMs });
        }
      } finally {
        await releaseLock();
      }
    },
  };
}
