import { Buffer } from "node:buffer";
import type { FileHandle } from "node:fs/promises";
import { open, rename, unlink } from "node:fs/promises";
import { basename } from "node:path";
import { syncDirectory, writeFully } from "./files.ts";
import { createSegment, noteId, setHome, type PendingEntry, type Segment } from "./model.ts";
import { encodeRecord } from "./record.ts";
import { recoverSegments, setAside } from "./recover.ts";

/** One accepted event, as the journal keeps it. */
export interface SpooledEvent {
  /** The event id (the deduplication key). */
  readonly id: string;
  /** The event as JSON text, handed on as it is. */
  readonly json: string;
  /** When it was accepted, ms since the epoch. */
  readonly acceptedAt: number;
}

/** How to open a journal. */
export interface JournalOptions {
  /** Directory of the segment files; created if missing (recursive). */
  readonly dir: string;
  /** Limit on the journal's total bytes on disk; `append` answers "full" beyond it. */
  readonly maxBytes: number;
  /** Start a new segment once the active one reaches this size (default 4 MiB). */
  readonly segmentBytes?: number;
  /** How long accepted ids are remembered across restarts (0: not at all). */
  readonly dedupWindowMs: number;
  /** The clock, ms since the epoch. */
  readonly now: () => number;
  /** Told about repairs and failures that are not fatal (a torn tail truncated, a segment set aside). */
  readonly onWarning?: (message: string, fields: Record<string, unknown>) => void;
  /**
   * For tests: wraps every fdatasync of a commit. It must call `flush` (the real fdatasync) and
   * return its promise, or throw to simulate an I/O error. Counting the calls counts the commits.
   */
  readonly datasync?: (flush: () => Promise<void>) => Promise<void>;
}

/** A durable spool of events: append, then acknowledge once delivered. */
export interface Journal {
  /** Events recovered at open that were appended and never acknowledged, oldest first. Taken once by the deliverer. */
  readonly recovered: readonly SpooledEvent[];
  /** Ids accepted within the dedup window as found at open (acknowledged or not), with their acceptedAt. */
  readonly recentIds: ReadonlyMap<string, number>;
  /**
   * Appends an event and resolves once it is on disk (fdatasync). Concurrent appends share one
   * write + one fdatasync (group commit). Resolves "full" (without writing) when the record, and
   * the ack it will need, would take the journal past maxBytes (counting records queued but not yet
   * written). Rejects on an I/O error, once closed, or for an event that could not be read back
   * (empty id, non-finite acceptedAt, over 16 MiB). An id that is already pending is not written
   * again: the answer is that copy's.
   */
  append(event: SpooledEvent): Promise<"ok" | "full">;
  /**
   * Marks an event delivered (or dead-lettered). Not awaited by callers: it is written with the
   * next batch and made durable with the next fdatasync. Idempotent.
   */
  ack(id: string): void;
  /** Events appended or recovered and not yet acknowledged. */
  depth(): number;
  /** Bytes of all segment files on disk now. */
  bytes(): number;
  /** Flushes queued records, fdatasyncs, closes files. */
  close(): Promise<void>;
}

const DEFAULT_SEGMENT_BYTES = 4 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

interface Settle {
  resolve(): void;
  reject(error: unknown): void;
}

/** Something waiting to be written with the next commit. */
type Item =
  | { readonly kind: "event"; readonly entry: PendingEntry; readonly bytes: Buffer; readonly settle: Settle }
  /** A pending event copied forward so the segment it is in can be compacted. */
  | { readonly kind: "relocate"; readonly entry: PendingEntry; readonly from: Segment; readonly bytes: Buffer }
  | { readonly kind: "ack"; readonly entry: PendingEntry; readonly bytes: Buffer }
  /** An id record salvaged from a set-aside segment. */
  | { readonly kind: "id"; readonly id: string; readonly at: number; readonly bytes: Buffer }
  /** Writes nothing; settles when the commit it joined did. */
  | { readonly kind: "barrier"; readonly bytes: Buffer; readonly settle: Settle };

function eventRecord(event: SpooledEvent): Buffer {
  return encodeRecord({ t: "e", id: event.id, at: event.acceptedAt, json: event.json });
}

function checkOptions(options: JournalOptions): number {
  const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  if (!(options.maxBytes > 0)) throw new RangeError(`maxBytes must be positive, not ${options.maxBytes}`);
  if (!(segmentBytes > 0)) throw new RangeError(`segmentBytes must be positive, not ${segmentBytes}`);
  if (!(options.dedupWindowMs >= 0)) throw new RangeError(`dedupWindowMs must be 0 or more, not ${options.dedupWindowMs}`);
  return segmentBytes;
}

/**
 * Opens (or creates) the journal in `options.dir`, recovering what a previous run left.
 *
 * Layout: segment files `journal-<16-digit sequence>.log`, each a run of records (length, CRC-32,
 * UTF-8 JSON payload). Each open starts a fresh active segment, appended to by group commit: while
 * one write + fdatasync is in flight, appends and acks queue, and then all go out as one write and
 * one fdatasync. A segment that is no longer active is deleted once all its events are
 * acknowledged (or first compacted to id records while some ids are inside the dedup window), and
 * one whose few remaining pending events take under a quarter of it has them copied forward, so a
 * single stuck event cannot pin a whole segment.
 *
 * @param options Where, how large, the dedup window and the clock.
 * @returns The open journal, with the events and ids recovered.
 * @throws Rejects with a RangeError for a non-positive maxBytes or segmentBytes, or a negative
 *   dedupWindowMs, and with the error on an I/O error while recovering.
 * @example
 * ```ts
 * const journal = await openJournal({ dir: "/var/spool/telnyx-relay", maxBytes: 256 * 1024 * 1024, dedupWindowMs: 86_400_000, now: Date.now });
 * for (const event of journal.recovered) deliverer.enqueue(event);
 * if ((await journal.append({ id, json, acceptedAt: Date.now() })) === "full") return respond(503);
 * // … once delivered downstream:
 * journal.ack(id);
 * ```
 */
export async function openJournal(options: JournalOptions): Promise<Journal> {
  const segmentBytes = checkOptions(options);
  const { dir, maxBytes, dedupWindowMs: windowMs, now } = options;
  const warn = (message: string, fields: Record<string, unknown>): void => options.onWarning?.(message, fields);
  const datasync = (handle: FileHandle): Promise<void> => (options.datasync ? options.datasync(() => handle.datasync()) : handle.datasync());
  const inWindow = (at: number, time: number): boolean => windowMs > 0 && time - at < windowMs;

  const found = await recoverSegments(dir, warn);
  const openedAt = now();
  const recentIds = new Map<string, number>();
  for (const segment of [...found.segments, found.orphan]) {
    for (const [id, at] of segment.ids) {
      const known = recentIds.get(id);
      if (inWindow(at, openedAt) && (known === undefined || at > known)) recentIds.set(id, at);
    }
  }

  const pending = found.pending;
  let highestSeq = found.highestSeq + 1;
  let active = createSegment(dir, highestSeq, "log");
  let activeHandle = await open(active.path, "a");
  await syncDirectory(dir);
  let segments: Segment[] = [...found.segments, active];

  let queue: Item[] = [];
  /** Bytes of records queued or being written, not yet counted in a segment. */
  let queuedBytes = 0;
  /** Room kept for the ack record of every pending event, so an ack never finds the journal full. */
  let ackReserve = 0;
  for (const entry of pending.values()) ackReserve += entry.ackBytes;
  /** A compaction's temp file while it exists: it is on disk too. */
  let tempBytes = 0;
  let writer: Promise<void> | undefined;
  let lastCommitFailed = false;
  let rotationWanted = false;
  /** Set when a failed commit could not be rolled back: the segment's state is unknown, so stop. */
  let failure: unknown;
  let closing = false;
  let closed = false;
  let closePromise: Promise<void> | undefined;
  let maintenanceChain: Promise<void> = Promise.resolve();
  let maintenanceQueued: Promise<void> | undefined;
  let relief: Promise<void> | undefined;

  const bytes = (): number => segments.reduce((sum, segment) => sum + segment.bytes, tempBytes);
  const committed = (): number => bytes() + queuedBytes + ackReserve;

  const push = (item: Item): void => {
    queue.push(item);
    queuedBytes += item.bytes.length;
    schedule();
  };

  const barrier = (): Promise<void> => {
    if (failure !== undefined) return Promise.reject(failure);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    push({ kind: "barrier", bytes: EMPTY, settle: { resolve, reject } });
    return promise;
  };

  const schedule = (): void => {
    if (writer || failure !== undefined || queue.length === 0) return;
    writer = runWriter();
  };

  const runWriter = async (): Promise<void> => {
    // One microtask: appends made in the same turn of the event loop share the first commit.
    await null;
    try {
      while (queue.length > 0 && failure === undefined) {
        // Checked and acted on with no await before the batch is taken, so a rotation asked for by a
        // barrier in this batch (see relieve) is never missed.
        if (active.bytes >= segmentBytes || (rotationWanted && active.bytes > 0)) await rotate();
        const batch = queue;
        queue = [];
        lastCommitFailed = !(await commit(batch));
        void kickMaintenance();
        // After a failure, what was requeued waits for the next append or ack rather than retrying in a loop.
        if (lastCommitFailed) break;
      }
    } finally {
      // In the same microtask as the last look at the queue: an item pushed from now on starts a new writer.
      writer = undefined;
    }
  };

  const rotate = async (): Promise<void> => {
    rotationWanted = false;
    const next = createSegment(dir, highestSeq + 1, "log");
    let handle: FileHandle | undefined;
    try {
      handle = await open(next.path, "a");
      // The new file's directory entry must be durable before anything written to it is reported durable.
      await syncDirectory(dir);
    } catch (error) {
      await handle?.close().catch(() => {});
      warn("spool: could not start a new segment; writing on in the current one", { segment: basename(next.path), error: String(error) });
      return;
    }
    const previous = activeHandle;
    highestSeq = next.seq;
    segments.push(next);
    active = next;
    activeHandle = handle;
    await previous.close().catch((error: unknown) => warn("spool: closing a full segment failed", { error: String(error) }));
  };

  /** Writes one batch with one write and one fdatasync; false when it failed (and was rolled back). */
  const commit = async (batch: Item[]): Promise<boolean> => {
    const segment = active;
    const handle = activeHandle;
    const start = segment.bytes;
    const data = batch.length === 1 ? batch[0]!.bytes : Buffer.concat(batch.map((item) => item.bytes));
    let counted = false;
    try {
      if (data.length > 0) {
        await writeFully(handle, data);
        segment.bytes += data.length;
        queuedBytes -= data.length;
        counted = true;
        await datasync(handle);
      }
    } catch (error) {
      if (!counted) queuedBytes -= data.length;
      await rollBack(segment, handle, start, error);
      failBatch(batch, error);
      return false;
    }
    for (const item of batch) {
      if (item.kind === "event" || item.kind === "relocate") {
        const { entry } = item;
        entry.copies.push(segment);
        noteId(segment, entry.event.id, entry.event.acceptedAt);
        // Acked before its write completed: the record is on disk, but nothing there is live.
        const current = pending.get(entry.event.id) === entry;
        if (current && (item.kind === "event" || entry.home === item.from)) setHome(entry, segment);
      } else if (item.kind === "ack") {
        for (const copy of item.entry.copies) segment.ackTargets.add(copy);
      } else if (item.kind === "id") {
        noteId(segment, item.id, item.at);
      }
    }
    for (const item of batch) if (item.kind === "event" || item.kind === "barrier") item.settle.resolve();
    return true;
  };

  const rollBack = async (segment: Segment, handle: FileHandle, start: number, error: unknown): Promise<void> => {
    try {
      // Cut away whatever of the failed batch reached the file, so the segment ends on a record
      // boundary and nothing the callers were told failed can come back after a restart.
      await handle.truncate(start);
      await datasync(handle);
      segment.bytes = start;
      warn("spool: write failed; batch rolled back", { segment: basename(segment.path), error: String(error) });
    } catch (rollbackError) {
      failure = error;
      warn("spool: write failed and could not be rolled back; the journal stops accepting events", {
        segment: basename(segment.path),
        error: String(error),
        rollbackError: String(rollbackError),
      });
      const stat = await handle.stat().catch(() => undefined);
      if (stat) segment.bytes = stat.size;
    }
  };

  const failBatch = (batch: Item[], error: unknown): void => {
    const retry: Item[] = [];
    for (const item of batch) {
      if (item.kind === "event") {
        const { entry } = item;
        if (pending.get(entry.event.id) === entry) {
          pending.delete(entry.event.id);
          ackReserve -= entry.ackBytes;
          setHome(entry, undefined);
        }
        item.settle.reject(error);
      } else if (item.kind === "barrier") {
        item.settle.reject(error);
      } else if (item.kind === "ack" || item.kind === "id") {
        retry.push(item);
      }
      // A failed relocation changes nothing: the event is still where it was; its barrier says so.
    }
    if (failure !== undefined) {
      const rest = queue;
      queue = [];
      queuedBytes = 0;
      for (const item of rest) {
        if (item.kind === "event" && pending.get(item.entry.event.id) === item.entry) {
          pending.delete(item.entry.event.id);
          ackReserve -= item.entry.ackBytes;
        }
        if (item.kind === "event" || item.kind === "barrier") item.settle.reject(failure);
      }
      return;
    }
    queue = [...retry, ...queue];
    for (const item of retry) queuedBytes += item.bytes.length;
  };

  /** Runs one maintenance pass after whatever pass is running; passes asked for meanwhile share it. */
  const kickMaintenance = (): Promise<void> => {
    if (maintenanceQueued) return maintenanceQueued;
    const pass = maintenanceChain.then(async () => {
      maintenanceQueued = undefined;
      try {
        await maintain();
      } catch (error) {
        warn("spool: maintenance failed", { error: String(error) });
      }
    });
    maintenanceQueued = pass;
    maintenanceChain = pass;
    return pass;
  };

  const maintain = async (): Promise<void> => {
    const time = now();
    for (const segment of segments.slice()) {
      if (segment === active || segment.kind === "gone") continue;
      if (segment.kind === "compact") {
        if (!inWindow(segment.newestAt, time)) await drop(segment, time);
        continue;
      }
      if (segment.live.size > 0 && segment.liveBytes * 4 < segment.bytes) await relocate(segment);
      if (segment.live.size === 0 && ackTargetsGone(segment)) await drop(segment, time);
    }
  };

  const ackTargetsGone = (segment: Segment): boolean => {
    for (const target of segment.ackTargets) if (target !== segment && target.kind === "log") return false;
    return true;
  };

  /** Copies a segment's last few pending events into the active segment, so it can be compacted. */
  const relocate = async (segment: Segment): Promise<void> => {
    const entries: PendingEntry[] = [];
    let size = 0;
    for (const id of segment.live) {
      const entry = pending.get(id);
      if (entry?.home !== segment) continue;
      entries.push(entry);
      size += entry.recordBytes;
    }
    if (entries.length === 0 || committed() + size > maxBytes) return;
    for (const entry of entries) push({ kind: "relocate", entry, from: segment, bytes: eventRecord(entry.event) });
    // Their homes move when the commit completes; a failed one leaves them where they were.
    await barrier().catch(() => {});
  };

  /** Deletes a segment nothing needs, or compacts it to the ids still inside the dedup window. */
  const drop = async (segment: Segment, time: number): Promise<void> => {
    const keep = [...segment.ids].filter(([, at]) => inWindow(at, time));
    try {
      if (keep.length === 0) {
        await unlink(segment.path).catch((error: unknown) => {
          if ((error as { code?: unknown }).code !== "ENOENT") throw error;
        });
        await syncDirectory(dir);
        segment.kind = "gone";
        segments = segments.filter((candidate) => candidate !== segment);
        return;
      }
      if (segment.kind !== "log") return;
      const data = Buffer.concat(keep.map(([id, at]) => encodeRecord({ t: "s", id, at })));
      const temp = `${segment.path}.tmp`;
      tempBytes = data.length;
      try {
        const handle = await open(temp, "w");
        try {
          await writeFully(handle, data);
          await handle.datasync();
        } finally {
          await handle.close();
        }
        // rename is atomic: after a crash the segment is either all of the old one or all of the compact one.
        await rename(temp, segment.path);
      } catch (error) {
        await unlink(temp).catch(() => {});
        throw error;
      } finally {
        tempBytes = 0;
      }
      segment.kind = "compact";
      segment.bytes = data.length;
      segment.ids.clear();
      segment.newestAt = -Infinity;
      for (const [id, at] of keep) noteId(segment, id, at);
      segment.ackTargets.clear();
      await syncDirectory(dir);
    } catch (error) {
      warn("spool: could not delete or compact a segment", { segment: basename(segment.path), error: String(error) });
    }
  };

  /** When the journal is full: rotate away an active segment that is mostly acknowledged, flush, compact. */
  const relieve = (): Promise<void> => {
    relief ??= (async () => {
      if (active.bytes > 0 && active.liveBytes * 4 < active.bytes) rotationWanted = true;
      await barrier();
      await kickMaintenance();
    })()
      .catch(() => {})
      .finally(() => {
        relief = undefined;
      });
    return relief;
  };

  const enqueueEvent = (event: SpooledEvent, record: Buffer, ackBytes: number): Promise<"ok"> => {
    const { promise, resolve, reject } = Promise.withResolvers<"ok">();
    const entry: PendingEntry = { event, recordBytes: record.length, ackBytes, home: undefined, copies: [], durable: promise };
    pending.set(event.id, entry);
    ackReserve += ackBytes;
    push({ kind: "event", entry, bytes: record, settle: { resolve: () => resolve("ok"), reject } });
    return promise;
  };

  const appendWhenRoom = async (event: SpooledEvent, record: Buffer, ackBytes: number): Promise<"ok" | "full"> => {
    await relieve();
    if (closing) throw new Error("journal is closed");
    if (failure !== undefined) throw failure;
    const existing = pending.get(event.id);
    if (existing) return existing.durable;
    if (committed() + record.length + ackBytes > maxBytes) return "full";
    return enqueueEvent(event, record, ackBytes);
  };

  // Records salvaged from set-aside segments are written again before anything else, so the next
  // recovery finds them in a segment that is intact.
  const salvage: Item[] = [];
  for (const entry of found.orphanAcks) salvage.push({ kind: "ack", entry, bytes: encodeRecord({ t: "a", id: entry.event.id }) });
  for (const entry of pending.values()) {
    if (entry.home === found.orphan) salvage.push({ kind: "relocate", entry, from: found.orphan, bytes: eventRecord(entry.event) });
  }
  for (const [id, at] of found.orphan.ids) {
    if (inWindow(at, openedAt) && !pending.has(id)) salvage.push({ kind: "id", id, at, bytes: encodeRecord({ t: "s", id, at }) });
  }
  try {
    if (salvage.length > 0) {
      for (const item of salvage) push(item);
      await barrier();
    }
    await setAside(dir, found.damaged);
  } catch (error) {
    await activeHandle.close().catch(() => {});
    throw error;
  }
  await kickMaintenance();

  // Oldest first by acceptedAt; stable, so events accepted in the same millisecond keep log order
  // (a relocated copy is later in the log than events accepted after it).
  const recovered = [...pending.values()].map((entry) => entry.event).sort((a, b) => a.acceptedAt - b.acceptedAt);

  return {
    recovered,
    recentIds,
    append(event) {
      if (closing) return Promise.reject(new Error("journal is closed"));
      if (failure !== undefined) return Promise.reject(failure);
      // Already pending (a redelivery racing the first copy): one copy is enough; answer when it is durable.
      const existing = pending.get(event.id);
      if (existing) return existing.durable;
      let record: Buffer;
      try {
        record = eventRecord(event);
      } catch (error) {
        return Promise.reject(error);
      }
      const ackBytes = encodeRecord({ t: "a", id: event.id }).length;
      if (committed() + record.length + ackBytes > maxBytes) return appendWhenRoom(event, record, ackBytes);
      return enqueueEvent(event, record, ackBytes);
    },
    ack(id) {
      if (closed || failure !== undefined) return;
      const entry = pending.get(id);
      if (!entry) return;
      pending.delete(id);
      setHome(entry, undefined);
      // The reserved room becomes the ack record itself.
      ackReserve -= entry.ackBytes;
      push({ kind: "ack", entry, bytes: encodeRecord({ t: "a", id }) });
    },
    depth: () => pending.size,
    bytes,
    close() {
      closePromise ??= (async () => {
        closing = true;
        // Maintenance and the writer wake each other (a commit kicks a pass; a relocation queues a
        // commit): wait until both are quiet.
        for (;;) {
          await maintenanceChain;
          if (!writer && queue.length > 0 && !lastCommitFailed) schedule();
          if (writer) {
            await writer;
            continue;
          }
          if (maintenanceQueued) continue;
          break;
        }
        closed = true;
        await activeHandle.close();
      })();
      return closePromise;
    },
  };
}
