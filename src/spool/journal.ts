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
  /**
   * Limit on the bytes of undelivered work: segments that hold event records (acknowledged or not,
   * until they are deleted or compacted), records queued, and the room kept for every pending
   * event's ack. `append` answers "full" beyond it. Id-only segments (what compaction keeps of
   * acknowledged events for the dedup window) are not counted: they have an allowance of their own,
   * a quarter of maxBytes, and past it the oldest are deleted first (those ids are then no longer
   * remembered across a restart). So "full" means undelivered events fill the spool, and the
   * directory holds at most about 1.25 × maxBytes.
   */
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
  /**
   * For tests: called (and awaited) before each thing the journal writes after open: `append` (a
   * commit's write of `bytes` to the active segment), `rotate` (creating a new segment, 0 bytes),
   * `compact` (a compaction's temp file of `bytes`). Throwing simulates that operation failing, e.g.
   * with an `ENOSPC` or `EACCES` error, without a full disk or an unwritable directory.
   */
  readonly beforeWrite?: (operation: "append" | "rotate" | "compact", path: string, bytes: number) => void | Promise<void>;
}

/** A durable spool of events: append, then acknowledge once delivered. */
export interface Journal {
  /** Events recovered at open that were appended and never acknowledged, oldest first. Taken once by the deliverer. */
  readonly recovered: readonly SpooledEvent[];
  /** Ids accepted within the dedup window as found at open (acknowledged or not), with their acceptedAt. */
  readonly recentIds: ReadonlyMap<string, number>;
  /**
   * Appends an event and resolves "ok" once it is on disk (fdatasync). Concurrent appends share one
   * write + one fdatasync (group commit). Resolves "full" (without writing) when the record, and
   * the ack it will need, would take the journal past maxBytes (see {@link JournalOptions.maxBytes}).
   * Rejects on an I/O error, once closed, or for an event that could not be read back (empty id,
   * non-finite acceptedAt, over 16 MiB).
   *
   * An id that is already pending is not written again: it resolves "pending" once that copy is on
   * disk (or rejects with its error). The caller then has nothing more to do: that copy is already
   * the deliverer's, and handing it on again would deliver one id twice at once.
   */
  append(event: SpooledEvent): Promise<"ok" | "full" | "pending">;
  /**
   * Marks an event delivered (or dead-lettered). Not awaited by callers: it is written with the
   * next batch and made durable with the next fdatasync. Idempotent.
   */
  ack(id: string): void;
  /** Events appended or recovered and not yet acknowledged. */
  depth(): number;
  /** Bytes of all segment files on disk now (id-only ones and a compaction's temp file included). */
  bytes(): number;
  /**
   * Bytes counted against maxBytes now: segments holding event records, records queued, and the
   * room kept for pending events' acks (see {@link JournalOptions.maxBytes}). Not id-only segments.
   */
  countedBytes(): number;
  /** Flushes queued records, fdatasyncs, closes files. */
  close(): Promise<void>;
}

const DEFAULT_SEGMENT_BYTES = 4 * 1024 * 1024;
/** A mostly acknowledged active segment is rotated away at 1/16 of segmentBytes (see rotationDue). */
const EARLY_ROTATION_SHARE = 16;
const EMPTY = Buffer.alloc(0);
/**
 * After a failed attempt to start a new segment, or to delete or compact one, the next attempt
 * waits this long (on the journal's clock). Without it an unwritable directory costs a failed
 * open + a warning on every commit.
 */
const DISK_RETRY_MS = 5_000;

/** Errors that say the disk (or the user's quota) is full. */
function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}

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
 * single stuck event cannot pin a whole segment. Id-only segments are kept within a quarter of
 * maxBytes, the oldest deleted first (see {@link JournalOptions.maxBytes}).
 *
 * A failed commit (a full disk, an I/O error) is cut back off the segment, its appends reject, and
 * the journal moves on to a new segment, so the one the failure happened in can be deleted or
 * compacted once its events are acknowledged; appends queued behind it get a commit of their own.
 * A compaction that finds the disk full deletes the segment instead (its ids are then forgotten at
 * the next restart; no pending event is ever dropped). Failed attempts to start a segment, or to
 * delete or compact one, are retried at most every few seconds, with one warning per run of them.
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
  const beforeWrite = async (operation: "append" | "rotate" | "compact", path: string, size: number): Promise<void> => {
    await options.beforeWrite?.(operation, path, size);
  };
  /** Room for id-only segments (and a compaction's temp file), beside maxBytes. */
  const idAllowance = Math.floor(maxBytes / 4);
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
  /** A compaction's temp file while it exists: it is on disk too (and counts as id records). */
  let tempBytes = 0;
  let writer: Promise<void> | undefined;
  /** Whether the last commit failed (set by commit itself, before it settles the batch). */
  let lastCommitFailed = false;
  let rotationWanted = false;
  /** The last failed attempt to start a segment (journal clock), while they keep failing. */
  let rotationFailedAt: number | undefined;
  let rotationFailures = 0;
  /** The last failed attempt to delete or compact each segment, while they keep failing. */
  const dropFailedAt = new Map<Segment, number>();
  /** Set when a failed commit could not be rolled back: the segment's state is unknown, so stop. */
  let failure: unknown;
  let closing = false;
  let closed = false;
  let closePromise: Promise<void> | undefined;
  let maintenanceChain: Promise<void> = Promise.resolve();
  let maintenanceQueued: Promise<void> | undefined;
  let relief: Promise<void> | undefined;

  const bytes = (): number => segments.reduce((sum, segment) => sum + segment.bytes, tempBytes);
  /** Bytes of id-only segments and a compaction's temp file: the id allowance's, not maxBytes'. */
  const idBytes = (): number => segments.reduce((sum, segment) => sum + (segment.kind === "compact" ? segment.bytes : 0), tempBytes);
  /** What counts against maxBytes. */
  const committed = (): number => bytes() - idBytes() + queuedBytes + ackReserve;
  /** A retry after a failure waits DISK_RETRY_MS; a clock that went back does not hold it up. */
  const retryDue = (failedAt: number | undefined, time: number): boolean => failedAt === undefined || Math.abs(time - failedAt) >= DISK_RETRY_MS;

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
        if (rotationDue()) await rotate();
        const batch = queue;
        queue = [];
        const written = await commit(batch);
        if (!written && failure === undefined && active.bytes > 0) {
          // Move on from the segment the failure happened in: while it is the active one it can be
          // neither deleted nor compacted, so after a disk-full nothing would ever free its room.
          rotationWanted = true;
          if (rotationDue()) await rotate();
        }
        void kickMaintenance();
        // After a failure, the acks and ids put back wait for the next append or ack rather than
        // retrying in a loop; but appends (and barriers) queued while the failed commit was in
        // flight are waited on by someone: they get a commit of their own, which writes or rejects them.
        if (!written && !queue.some((item) => item.kind === "event" || item.kind === "barrier")) break;
      }
    } finally {
      // In the same microtask as the last look at the queue: an item pushed from now on starts a new writer.
      writer = undefined;
    }
  };

  /**
   * Whether the next commit starts a new segment first (unless a recent attempt failed): the active
   * one is full, or a move is asked for, or it is mostly acknowledged and past a sixteenth of
   * segmentBytes while compaction has caught up. Without the last, acknowledged events stayed on
   * disk until the active segment was full (4 MiB by default), whatever the backlog; and without
   * "caught up" a fast stream would make segments faster than compaction deletes them.
   */
  const rotationDue = (): boolean => {
    if (!retryDue(rotationFailedAt, now())) return false;
    if (active.bytes >= segmentBytes || (rotationWanted && active.bytes > 0)) return true;
    return active.bytes >= segmentBytes / EARLY_ROTATION_SHARE && active.liveBytes * 4 < active.bytes && !compactionBehind();
  };
  /** Whether a segment other than the active one waits to be deleted or compacted. */
  const compactionBehind = (): boolean => segments.some((segment) => segment !== active && segment.kind === "log" && segment.live.size === 0);

  const rotate = async (): Promise<void> => {
    const next = createSegment(dir, highestSeq + 1, "log");
    let handle: FileHandle | undefined;
    try {
      await beforeWrite("rotate", next.path, 0);
      handle = await open(next.path, "a");
      // The new file's directory entry must be durable before anything written to it is reported durable.
      await syncDirectory(dir);
    } catch (error) {
      await handle?.close().catch(() => {});
      // Not tried again for a while (see rotationDue), and told once per run of failures: an
      // unwritable directory would otherwise cost a failed open and a warning on every commit.
      rotationFailedAt = now();
      if (rotationFailures++ === 0) {
        warn("spool: could not start a new segment; writing on in the current one and trying again every few seconds", {
          segment: basename(next.path),
          retryMs: DISK_RETRY_MS,
          error: String(error),
        });
      }
      return;
    }
    if (rotationFailures > 0) warn("spool: started a new segment again", { segment: basename(next.path), failedAttempts: rotationFailures });
    rotationFailedAt = undefined;
    rotationFailures = 0;
    rotationWanted = false;
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
        await beforeWrite("append", segment.path, data.length);
        await writeFully(handle, data);
        segment.bytes += data.length;
        queuedBytes -= data.length;
        counted = true;
        await datasync(handle);
      }
    } catch (error) {
      if (!counted) queuedBytes -= data.length;
      await rollBack(segment, handle, start, error);
      // Set before the callers hear of it: an append they make in answer must see it (see append).
      lastCommitFailed = true;
      failBatch(batch, error);
      return false;
    }
    lastCommitFailed = false;
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
      // One that failed lately is left alone for a while: an unwritable directory would otherwise
      // cost a failed unlink and a warning on every commit.
      if (!retryDue(dropFailedAt.get(segment), time)) continue;
      if (segment.kind === "compact") {
        if (!inWindow(segment.newestAt, time)) await drop(segment, time);
        continue;
      }
      // Not right after a failed commit: the copies would need room the disk may not have, and
      // their failed commit would kick this pass again, and so on for ever.
      if (!lastCommitFailed && segment.live.size > 0 && segment.liveBytes * 4 < segment.bytes) await relocate(segment);
      if (segment.live.size === 0 && ackTargetsGone(segment)) await drop(segment, time);
    }
    // Also catches what a previous run left over the allowance (a smaller maxBytes now).
    try {
      await fitIds(undefined, 0);
    } catch (error) {
      warn("spool: could not delete an id-only segment", { error: String(error) });
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

  /** Deletes a segment's file and forgets it. */
  const remove = async (segment: Segment): Promise<void> => {
    await unlink(segment.path).catch((error: unknown) => {
      if ((error as { code?: unknown }).code !== "ENOENT") throw error;
    });
    await syncDirectory(dir);
    segment.kind = "gone";
    segments = segments.filter((candidate) => candidate !== segment);
    dropFailedAt.delete(segment);
  };

  /**
   * Deletes id-only segments, oldest first, until `size` more bytes of id records fit in the id
   * allowance. Only those older than `segment` (the one about to be compacted) are deleted for it.
   *
   * @returns false when they would not fit even so: `segment`'s ids are the oldest left to drop.
   */
  const fitIds = async (segment: Segment | undefined, size: number): Promise<boolean> => {
    while (idBytes() + size > idAllowance) {
      // segments is in sequence order.
      const oldest = segments.find((candidate) => candidate.kind === "compact" && candidate !== segment);
      if (!oldest || (segment !== undefined && oldest.seq > segment.seq)) return false;
      await remove(oldest);
    }
    return true;
  };

  /**
   * Deletes a segment nothing needs, or compacts it to the ids still inside the dedup window
   * (deleting it after all when those do not fit in the id allowance, or the disk is full).
   */
  const drop = async (segment: Segment, time: number): Promise<void> => {
    let keep = [...segment.ids].filter(([, at]) => inWindow(at, time));
    try {
      if (keep.length === 0) {
        await remove(segment);
        return;
      }
      if (segment.kind !== "log") return;
      let records = keep.map(([id, at]) => encodeRecord({ t: "s", id, at }));
      let size = records.reduce((sum, record) => sum + record.length, 0);
      if (!(await fitIds(segment, size))) {
        // Even with the older id-only segments gone they do not fit: keep the newest that do.
        const room = idAllowance - idBytes();
        const newestFirst = keep.map((entry, index) => ({ entry, record: records[index]! })).sort((a, b) => b.entry[1] - a.entry[1]);
        keep = [];
        records = [];
        size = 0;
        for (const { entry, record } of newestFirst) {
          if (size + record.length > room) break;
          keep.push(entry);
          records.push(record);
          size += record.length;
        }
        if (keep.length === 0) {
          await remove(segment);
          return;
        }
      }
      const data = records.length === 1 ? records[0]! : Buffer.concat(records);
      const temp = `${segment.path}.tmp`;
      tempBytes = data.length;
      try {
        await beforeWrite("compact", temp, data.length);
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
        if (!isDiskFull(error)) throw error;
        // No room for the ids: deleting frees the segment's room, which a full disk needs more
        // than dedup memory across a restart (this run still remembers them). Nothing pending is
        // lost: only segments without pending events get here.
        await remove(segment);
        warn("spool: disk full; an acknowledged segment was deleted instead of compacted, so its ids are not remembered after a restart", {
          segment: basename(segment.path),
          ids: keep.length,
          error: String(error),
        });
        return;
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
      dropFailedAt.delete(segment);
    } catch (error) {
      if (!dropFailedAt.has(segment)) {
        warn("spool: could not delete or compact a segment; trying again every few seconds", { segment: basename(segment.path), retryMs: DISK_RETRY_MS, error: String(error) });
      }
      dropFailedAt.set(segment, now());
    }
  };

  /**
   * When the journal is full, or the last commit failed: rotate away an active segment that is
   * mostly acknowledged, flush, compact. Maintenance runs even when the flush fails: after a
   * disk-full it is what frees room (by deleting acknowledged segments).
   */
  const relieve = (): Promise<void> => {
    relief ??= (async () => {
      if (active.bytes > 0 && active.liveBytes * 4 < active.bytes) rotationWanted = true;
      await barrier().catch(() => {});
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

  /** The answer to an append of an id already pending: "pending", once that copy is durable. */
  const alreadyPending = (entry: PendingEntry): Promise<"pending"> => entry.durable.then(() => "pending" as const);

  const appendWhenRoom = async (event: SpooledEvent, record: Buffer, ackBytes: number): Promise<"ok" | "full" | "pending"> => {
    await relieve();
    if (closing) throw new Error("journal is closed");
    if (failure !== undefined) throw failure;
    const existing = pending.get(event.id);
    if (existing) return alreadyPending(existing);
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
      // Already pending (a redelivery racing the first copy, or one that came while the downstream
      // is behind): one copy is enough, and the deliverer already has it; answer when it is durable.
      const existing = pending.get(event.id);
      if (existing) return alreadyPending(existing);
      let record: Buffer;
      try {
        record = eventRecord(event);
      } catch (error) {
        return Promise.reject(error);
      }
      const ackBytes = encodeRecord({ t: "a", id: event.id }).length;
      // After a failed commit (a full disk?) the journal first makes room (see relieve), so an
      // append that comes after the failure was reported does not fail the same way for nothing.
      if (lastCommitFailed || committed() + record.length + ackBytes > maxBytes) return appendWhenRoom(event, record, ackBytes);
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
    countedBytes: committed,
    close() {
      closePromise ??= (async () => {
        closing = true;
        // Acks (and ids) put back by a failed commit get one more try here, not a loop of them.
        let retried = false;
        // Maintenance and the writer wake each other (a commit kicks a pass; a relocation queues a
        // commit): wait until both are quiet.
        for (;;) {
          await maintenanceChain;
          if (!writer && queue.length > 0 && (!lastCommitFailed || !retried)) {
            retried ||= lastCommitFailed;
            schedule();
          }
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
