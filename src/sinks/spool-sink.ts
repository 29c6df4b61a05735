import type { EncodedEvent } from "../pipeline/cloud-event.ts";
import { reject, type Rejection } from "../pipeline/rejection.ts";
import { DISK_RETRY_MS } from "../spool/disk-retry.ts";
import type { Journal } from "../spool/journal.ts";
import { MAX_PAYLOAD_BYTES, RecordTooLargeError } from "../spool/record.ts";
import type { Transport } from "../transports/transport.ts";
import { createDeadlineWaits } from "../lib/deadline-waits.ts";
import type { Logger } from "../lib/log.ts";
import { within } from "../lib/within.ts";
import type { Deliverer } from "./deliverer.ts";
import { DELIVERED, type Delivered, type Sink } from "./sink.ts";

/** What {@link createSpoolSink} needs. */
export interface SpoolSinkOptions {
  readonly journal: Journal;
  /** The journal's size limit: with its counted bytes ({@link Journal.countedBytes}) at or past it the sink is not ready. */
  readonly maxBytes: number;
  /**
   * How long a request waits for its append to be on disk (`--sink-timeout`): past it, the answer
   * is 503 and the append goes on in the background; and while a commit has taken longer than
   * this, the sink is not ready.
   */
  readonly timeoutMs: number;
  readonly deliverer: Deliverer;
  /** The deliverer's transport: the sink closes it once the deliverer has stopped. */
  readonly transport: Transport;
  /** Lets go of the spool directory's lock: the sink calls it last, once the journal is closed (or abandoned). */
  readonly releaseLock: () => Promise<void>;
  /**
   * Told of an event whose append reached the disk after its request was answered 503 (the
   * dedup set's `remember`): Telnyx's redelivery of it is then a duplicate, not a second copy.
   */
  readonly remember?: (id: string, at: number) => void;
  readonly log: Logger;
  readonly now: () => number;
}

// How often appends still in flight are checked against their deadline (the timeout's precision).
const SWEEP_MS = 50;

/**
 * The spooled forwarding sink: an event is delivered once it is in the journal and on disk
 * (fdatasync, shared by concurrent requests); the deliverer then forwards it in the background.
 * A full spool is `spool_full`, a failing disk `sink_unavailable`: both 503, so Telnyx delivers again.
 * An event too large for a journal record is `too_large` (413): it would fail the same way every
 * time, and says nothing about the disk (the sink stays ready).
 * An event whose id is already in the spool, not yet delivered, is answered as delivered once that
 * copy is on disk, and is not handed to the deliverer again (it already has that copy).
 *
 * Every append is raced against `timeoutMs`: a disk that hangs (a dead NFS server, a dying device)
 * costs a request a 503 at its deadline, not Telnyx's whole 2 s. The append itself goes on: if it
 * reaches the disk later, the event is handed to the deliverer then and its id remembered
 * (`remember`), and until then the id is pending, so Telnyx's redelivery waits for that same copy
 * (it is never answered before the copy is on disk, and never lost). While an answered append is
 * still unwritten, or a commit has been in flight longer than `timeoutMs`, the sink is not ready.
 *
 * The sink owns the journal, the deliverer, its transport and the directory lock: `close` lets go
 * of all four.
 *
 * @param options The journal, the deadline, the deliverer and its transport, the lock, the logger and the clock.
 * @returns The sink.
 * @example
 * ```ts
 * const sink = createSpoolSink({ journal, maxBytes: 64 * 1024 * 1024, timeoutMs: 1500, deliverer, transport, releaseLock, log, now: Date.now });
 * ```
 */
export function createSpoolSink(options: SpoolSinkOptions): Sink {
  const { journal, maxBytes, timeoutMs, deliverer, transport, releaseLock, log, now } = options;
  // When the last append failed on the disk; the sink reports not ready for a while after it.
  let diskFailedAt: number | undefined;
  // The spool's counted size when an append last found it full: not ready until compaction frees
  // room, or an append succeeds again.
  let fullAt: number | undefined;
  // Appends whose request was answered at its deadline and that have not settled yet.
  let overdue = 0;
  // Of the overdue appends since the last time none were: how many, and how many reached the disk.
  const late = { overdue: 0, written: 0 };
  let appends = 0;
  const waiting = createDeadlineWaits<number, (inTime: boolean) => void>(SWEEP_MS, (resolve) => resolve(false), now);

  /** Takes the journal's answer to an append: the deliverer gets a new copy, the readiness state follows the disk. */
  async function append(spooled: { readonly id: string; readonly json: string; readonly acceptedAt: number }): Promise<Delivered | Rejection> {
    let appended: "ok" | "full" | "pending";
    try {
      appended = await journal.append(spooled);
    } catch (error) {
      if (error instanceof RecordTooLargeError) {
        log.warn("event too large for the spool", { id: spooled.id, bytes: error.bytes, limit: MAX_PAYLOAD_BYTES });
        return reject("too_large", `the event (${error.bytes} bytes as a journal record) is larger than a spool record may be (${MAX_PAYLOAD_BYTES} bytes)`);
      }
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

  async function deliver(event: EncodedEvent): Promise<Delivered | Rejection> {
    const spooled = { id: event.id, json: event.json, acceptedAt: now() };
    const outcome = append(spooled);
    const inTime = await new Promise<boolean>((resolve) => {
      const key = ++appends;
      waiting.add(key, resolve, spooled.acceptedAt + timeoutMs);
      void outcome.then(() => waiting.take(key)?.(true));
    });
    if (inTime) return outcome;
    // One warning when the disk starts to hang, one when it has caught up: not one per request.
    if (overdue++ === 0) log.warn("spool: the disk did not confirm a write in time; answering 503 until it does", { id: event.id, timeoutMs });
    late.overdue++;
    void outcome.then((result) => {
      // On disk after all: the deliverer has it now, and Telnyx's redelivery is a duplicate.
      if (result.ok) {
        late.written++;
        options.remember?.(spooled.id, spooled.acceptedAt);
      }
      if (--overdue > 0) return;
      log.warn("spool: the disk caught up; writes answered 503 have settled", { overdue: late.overdue, written: late.written });
      late.overdue = late.written = 0;
    });
    return reject("sink_unavailable", `the spool's disk did not confirm the write within ${timeoutMs} ms`);
  }

  /** Whether a commit has been in flight longer than the deadline: the disk hangs. */
  const stalled = (): boolean => {
    const since = journal.commitSince();
    return since !== undefined && now() - since > timeoutMs;
  };

  return {
    name: "spool",
    recovered: journal.recovered.length,
    deliver,
    ready: () => {
      // A disk that hangs: requests would only wait for their 503.
      if (overdue > 0 || stalled()) return false;
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
