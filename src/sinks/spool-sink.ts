import type { EncodedEvent } from "../pipeline/cloud-event.ts";
import { reject, type Rejection } from "../pipeline/rejection.ts";
import type { Deliverer } from "../forward/deliverer.ts";
import type { Journal } from "../spool/journal.ts";
import type { Logger } from "../log.ts";
import type { Delivered, Sink } from "./sink.ts";

/** What {@link createSpoolSink} needs. */
export interface SpoolSinkOptions {
  readonly journal: Journal;
  /** The journal's size limit: at or past it the sink is not ready. */
  readonly maxBytes: number;
  readonly deliverer: Deliverer;
  /** Drops the poster's connections at close. */
  readonly closePoster: () => void;
  readonly log: Logger;
  readonly now: () => number;
}

const DELIVERED: Delivered = { ok: true };
// After a failed write, /readyz says not ready for this long; then traffic may test the disk again.
const DISK_RETRY_MS = 10_000;

/**
 * The spooled forwarding sink: an event is delivered once it is in the journal and on disk
 * (fdatasync, shared by concurrent requests); the deliverer then forwards it in the background.
 * A full spool is `spool_full`, a failing disk `sink_unavailable`: both 503, so Telnyx delivers again.
 *
 * @param options The journal, the deliverer, the logger and the clock.
 * @returns The sink.
 * @example
 * ```ts
 * const sink = createSpoolSink({ journal, deliverer, closePoster, log, now: Date.now });
 * ```
 */
export function createSpoolSink(options: SpoolSinkOptions): Sink {
  const { journal, maxBytes, deliverer, closePoster, log, now } = options;
  // When the last append failed on the disk; the sink reports not ready for a while after it.
  let diskFailedAt: number | undefined;
  // The spool's size when an append last found it full: not ready until compaction frees room.
  let fullAt: number | undefined;

  async function deliver(event: EncodedEvent): Promise<Delivered | Rejection> {
    const spooled = { id: event.id, json: event.json, acceptedAt: now() };
    let appended: "ok" | "full";
    try {
      appended = await journal.append(spooled);
    } catch (error) {
      if (diskFailedAt === undefined) log.error("spool write failed", { error: (error as NodeJS.ErrnoException).code ?? String(error) });
      diskFailedAt = now();
      return reject("sink_unavailable", "the spool could not be written");
    }
    diskFailedAt = undefined;
    if (appended === "full") {
      fullAt = journal.bytes();
      return reject("spool_full", "the spool is at its size limit; the downstream is behind");
    }
    deliverer.enqueue(spooled);
    return DELIVERED;
  }

  return {
    name: "spool",
    recovered: journal.recovered.length,
    deliver,
    ready: () => {
      if (diskFailedAt !== undefined && now() - diskFailedAt <= DISK_RETRY_MS) return false;
      if (fullAt !== undefined && journal.bytes() >= fullAt) return false;
      return journal.bytes() < maxBytes;
    },
    async close() {
      // In-flight deliveries are cut: they were not acknowledged, so the next start sends them again.
      deliverer.stop();
      closePoster();
      await journal.close();
    },
  };
}
