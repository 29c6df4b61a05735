// The spool's journal: a durable FIFO of accepted events, in parts.
//
//   group-commit.ts  the write queue: one write + one fdatasync per batch, rollback of a failed one
//   rotation.ts      when and how a new active segment starts
//   compaction.ts    deleting segments nothing needs, shrinking them to id records, relocation
//   recover.ts       reading the segments back at open: torn tails, `.bad` segments, salvage
//   append.ts        append: room checks, "full", relief after a failed commit
//   state.ts         the state they share, and the byte accounting against maxBytes
//   model.ts, record.ts, files.ts, disk-retry.ts: segments and pending entries, record framing,
//   file names and fsync helpers, when to try a failing disk again
// This file opens a journal, wires the parts, and answers append / ack / close.
//
// Remembering dedup ids across restarts: beside the queue in the code, inside it on disk. An
// event's record already carries its id and acceptedAt, and it is made durable by the same
// fdatasync that makes the event durable; a separate id file would cost a second write and fsync
// per commit (or lose the ids of the last events before a crash, the ones a redelivery is most
// likely to repeat). So the log keeps ids as they come; what is about ids alone (which are inside
// the window, compaction of acknowledged segments down to id records, the id allowance) lives in
// compaction.ts and recover.ts (recentIdsOf), and the queue's part (group commit, rotation, the
// pending set) knows nothing of the window. The journal hands the recovered ids out once
// (`recentIds`); the in-memory dedup table is the pipeline's.
import { open } from "node:fs/promises";
import { appender, type Parts } from "./append.ts";
import { createMaintenance } from "./compaction.ts";
import { syncDirectory } from "./files.ts";
import { createGroupCommit } from "./group-commit.ts";
import { createSegment, setHome, type SpooledEvent } from "./model.ts";
import { recentIdsOf, recoverSegments, salvageItems, setAside } from "./recover.ts";
import { createRotation } from "./rotation.ts";
import { ackRecord, countedBytes, diskBytes, type JournalState, type Settings, type WriteOperation } from "./state.ts";

export type { SpooledEvent } from "./model.ts";

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
  /** Start a new segment once the active one reaches this size (default 4 MiB; a sixteenth of it when mostly acknowledged). */
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
  /**
   * When the commit now in flight (write + fdatasync, and a rotation before it) started, on the
   * journal's clock; undefined while none is. A commit that takes too long is a disk that hangs (a
   * dead NFS server, a dying device): the spool sink is then not ready.
   */
  commitSince(): number | undefined;
  /** Flushes queued records, fdatasyncs, closes files. */
  close(): Promise<void>;
}

const DEFAULT_SEGMENT_BYTES = 4 * 1024 * 1024;

/** The options checked, with their defaults and hooks resolved. */
function settingsOf(options: JournalOptions): Settings {
  const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
  if (!(options.maxBytes > 0)) throw new RangeError(`maxBytes must be positive, not ${options.maxBytes}`);
  if (!(segmentBytes > 0)) throw new RangeError(`segmentBytes must be positive, not ${segmentBytes}`);
  if (!(options.dedupWindowMs >= 0)) throw new RangeError(`dedupWindowMs must be 0 or more, not ${options.dedupWindowMs}`);
  const { datasync, beforeWrite, onWarning } = options;
  return {
    dir: options.dir,
    maxBytes: options.maxBytes,
    segmentBytes,
    windowMs: options.dedupWindowMs,
    idAllowance: Math.floor(options.maxBytes / 4),
    now: options.now,
    warn: (message, fields) => onWarning?.(message, fields),
    datasync: (handle) => (datasync ? datasync(() => handle.datasync()) : handle.datasync()),
    beforeWrite: async (operation: WriteOperation, path: string, size: number) => {
      await beforeWrite?.(operation, path, size);
    },
  };
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
 * single stuck event cannot pin a whole segment. A mostly acknowledged active segment is rotated
 * away early (at a sixteenth of segmentBytes, while compaction keeps up), so disk use follows the
 * backlog rather than growing until the segment is full. Id-only segments are kept within a
 * quarter of maxBytes, the oldest deleted first (see {@link JournalOptions.maxBytes}).
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
 * for (const event of journal.recovered) deliverer.deliver(event);
 * if ((await journal.append({ id, json, acceptedAt: Date.now() })) === "full") return respond(503);
 * // … once delivered downstream:
 * journal.ack(id);
 * ```
 */
export async function openJournal(options: JournalOptions): Promise<Journal> {
  const settings = settingsOf(options);
  const found = await recoverSegments(settings.dir, settings.warn);
  const openedAt = settings.now();
  const recentIds = recentIdsOf(found, settings, openedAt);

  const active = createSegment(settings.dir, found.highestSeq + 1, "log");
  const activeHandle = await open(active.path, "a");
  await syncDirectory(settings.dir);
  const state: JournalState = {
    settings,
    segments: [...found.segments, active],
    active,
    activeHandle,
    highestSeq: active.seq,
    pending: found.pending,
    queuedBytes: 0,
    ackReserve: 0,
    tempBytes: 0,
    commitSince: undefined,
    lastCommitFailed: false,
    failure: undefined,
  };
  for (const entry of state.pending.values()) state.ackReserve += entry.ackBytes;
  const rotation = createRotation(state);
  // Each commit kicks a compaction pass; a compaction's relocations are written by the writer.
  const writer = createGroupCommit(state, rotation, () => void maintenance.kick());
  const maintenance = createMaintenance(state, writer);

  try {
    const salvage = salvageItems(found, settings, openedAt);
    if (salvage.length > 0) {
      for (const item of salvage) writer.push(item);
      await writer.barrier();
    }
    await setAside(settings.dir, found.damaged);
  } catch (error) {
    await state.activeHandle.close().catch(() => {});
    throw error;
  }
  await maintenance.kick();

  // Oldest first by acceptedAt; stable, so events accepted in the same millisecond keep log order
  // (a relocated copy is later in the log than events accepted after it).
  const recovered = [...state.pending.values()].map((entry) => entry.event).sort((a, b) => a.acceptedAt - b.acceptedAt);
  return journalOf({ state, writer, rotation, maintenance }, recovered, recentIds);
}

/** The journal's face: append, ack, sizes, close. */
function journalOf(parts: Parts, recovered: readonly SpooledEvent[], recentIds: ReadonlyMap<string, number>): Journal {
  const { state, writer } = parts;
  const lifecycle = { closing: false, closed: false };
  const append = appender(parts, () => lifecycle.closing);
  let closePromise: Promise<void> | undefined;
  return {
    recovered,
    recentIds,
    append,
    ack(id) {
      if (lifecycle.closed || state.failure !== undefined) return;
      const entry = state.pending.get(id);
      if (!entry) return;
      state.pending.delete(id);
      setHome(entry, undefined);
      // The reserved room becomes the ack record itself.
      state.ackReserve -= entry.ackBytes;
      writer.push({ kind: "ack", entry, bytes: ackRecord(id) });
    },
    depth: () => state.pending.size,
    bytes: () => diskBytes(state),
    countedBytes: () => countedBytes(state),
    commitSince: () => state.commitSince,
    close() {
      closePromise ??= (async () => {
        lifecycle.closing = true;
        await quiesce(parts);
        lifecycle.closed = true;
        await state.activeHandle.close();
      })();
      return closePromise;
    },
  };
}

/** Waits until the writer and compaction are both quiet (they wake each other: a commit kicks a pass; a relocation queues a commit). */
async function quiesce({ state, writer, maintenance }: Parts): Promise<void> {
  // Acks (and ids) put back by a failed commit get one more try here, not a loop of them.
  let retried = false;
  for (;;) {
    await maintenance.chain();
    if (!writer.running() && writer.queued() > 0 && (!state.lastCommitFailed || !retried)) {
      retried ||= state.lastCommitFailed;
      writer.schedule();
    }
    const running = writer.running();
    if (running) {
      await running;
      continue;
    }
    if (maintenance.waiting()) continue;
    return;
  }
}
