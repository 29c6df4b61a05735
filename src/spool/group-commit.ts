import { Buffer } from "node:buffer";
import type { FileHandle } from "node:fs/promises";
import { basename } from "node:path";
import { writeFully } from "./files.ts";
import { noteId, setHome, type PendingEntry, type Segment } from "./model.ts";
import type { Rotation } from "./rotation.ts";
import type { Item, JournalState } from "./state.ts";

const EMPTY = Buffer.alloc(0);

/**
 * The journal's writer: records queue while one write + one fdatasync is in flight, and then all
 * go out together as the next commit (group commit).
 */
export interface GroupCommit {
  /** Queues an item for the next commit, and starts the commit loop if it is idle. */
  push(item: Item): void;
  /** Resolves when every item queued before it is on disk; rejects when their commit failed. */
  barrier(): Promise<void>;
  /** Starts the commit loop if it is idle and something is queued. */
  schedule(): void;
  /** The commit loop while it runs, else undefined. */
  running(): Promise<void> | undefined;
  /** How many items wait for a commit. */
  queued(): number;
}

/**
 * Makes the writer of a journal. Changes `state.queuedBytes`, `ackReserve` and `pending` (a failed
 * commit's appends are forgotten), `lastCommitFailed`, `failure`, the active segment's size, and
 * segments' live and ack-target sets as commits complete.
 *
 * @param state The journal.
 * @param rotation Asked before each commit whether to start a new segment first.
 * @param afterCommit Called after each commit, written or failed (the journal kicks compaction).
 * @returns The writer.
 * @example
 * ```ts
 * const writer = createGroupCommit(state, rotation, () => void maintenance.kick());
 * writer.push({ kind: "ack", entry, bytes: ackRecord(id) });
 * ```
 */
export function createGroupCommit(state: JournalState, rotation: Rotation, afterCommit: () => void): GroupCommit {
  // One closure of ~80 lines on purpose: the queue, the writer in flight and the failure path of a
  // batch are one state machine (one write + one fdatasync at a time).
  let queue: Item[] = [];
  let writer: Promise<void> | undefined;

  const push = (item: Item): void => {
    queue.push(item);
    state.queuedBytes += item.bytes.length;
    schedule();
  };

  const barrier = (): Promise<void> => {
    if (state.failure !== undefined) return Promise.reject(state.failure);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    push({ kind: "barrier", bytes: EMPTY, settle: { resolve, reject } });
    return promise;
  };

  const schedule = (): void => {
    if (writer || state.failure !== undefined || queue.length === 0) return;
    writer = run();
  };

  const run = async (): Promise<void> => {
    // One microtask: appends made in the same turn of the event loop share the first commit.
    await null;
    try {
      while (queue.length > 0 && state.failure === undefined) {
        // Checked and acted on with no await before the batch is taken, so a rotation asked for by a
        // barrier in this batch (see relieve in journal.ts) is never missed.
        state.commitSince = state.settings.now();
        if (rotation.due()) await rotation.rotate();
        const batch = queue;
        queue = [];
        const written = await commit(batch);
        if (!written && state.failure === undefined && state.active.bytes > 0) {
          // Move on from the segment the failure happened in: while it is the active one it can be
          // neither deleted nor compacted, so after a disk-full nothing would ever free its room.
          rotation.want();
          if (rotation.due()) await rotation.rotate();
        }
        afterCommit();
        // After a failure, the acks and ids put back wait for the next append or ack rather than
        // retrying in a loop; but appends (and barriers) queued while the failed commit was in
        // flight are waited on by someone: they get a commit of their own, which writes or rejects them.
        if (!written && !queue.some((item) => item.kind === "event" || item.kind === "barrier")) break;
      }
    } finally {
      // In the same microtask as the last look at the queue: an item pushed from now on starts a new writer.
      writer = undefined;
      state.commitSince = undefined;
    }
  };

  /** Writes one batch with one write and one fdatasync; false when it failed (and was rolled back). */
  const commit = async (batch: Item[]): Promise<boolean> => {
    const segment = state.active;
    const handle = state.activeHandle;
    const start = segment.bytes;
    const data = batch.length === 1 ? batch[0]!.bytes : Buffer.concat(batch.map((item) => item.bytes));
    let counted = false;
    try {
      if (data.length > 0) {
        await state.settings.beforeWrite("append", segment.path, data.length);
        await writeFully(handle, data);
        segment.bytes += data.length;
        state.queuedBytes -= data.length;
        counted = true;
        await state.settings.datasync(handle);
      }
    } catch (error) {
      // Done, if failed: before anyone hears of it (readiness reads it).
      state.commitSince = undefined;
      if (!counted) state.queuedBytes -= data.length;
      await rollBack(state, segment, handle, start, error);
      // Set before the callers hear of it: an append they make in answer must see it (see append).
      state.lastCommitFailed = true;
      queue = failBatch(state, batch, queue, error);
      return false;
    }
    state.commitSince = undefined;
    state.lastCommitFailed = false;
    applyCommitted(state, segment, batch);
    return true;
  };

  return { push, barrier, schedule, running: () => writer, queued: () => queue.length };
}

/** Records where a written batch's events, acks and ids now are, and settles its appends. */
function applyCommitted(state: JournalState, segment: Segment, batch: readonly Item[]): void {
  for (const item of batch) {
    if (item.kind === "event" || item.kind === "relocate") {
      const { entry } = item;
      entry.copies.push(segment);
      noteId(segment, entry.event.id, entry.event.acceptedAt);
      // Acked before its write completed: the record is on disk, but nothing there is live.
      const current = state.pending.get(entry.event.id) === entry;
      if (current && (item.kind === "event" || entry.home === item.from)) setHome(entry, segment);
    } else if (item.kind === "ack") {
      for (const copy of item.entry.copies) segment.ackTargets.add(copy);
    } else if (item.kind === "id") {
      noteId(segment, item.id, item.at);
    }
  }
  for (const item of batch) if (item.kind === "event" || item.kind === "barrier") item.settle.resolve();
}

/**
 * Cuts away whatever of a failed batch reached the file, so the segment ends on a record boundary
 * and nothing the callers were told failed can come back after a restart. When even that fails,
 * the segment's state is unknown: `state.failure` is set and the journal stops.
 */
async function rollBack(state: JournalState, segment: Segment, handle: FileHandle, start: number, error: unknown): Promise<void> {
  const { warn } = state.settings;
  try {
    await handle.truncate(start);
    await state.settings.datasync(handle);
    segment.bytes = start;
    warn("spool: write failed; batch rolled back", { segment: basename(segment.path), error: String(error) });
  } catch (rollbackError) {
    state.failure = error;
    warn("spool: write failed and could not be rolled back; the journal stops accepting events", {
      segment: basename(segment.path),
      error: String(error),
      rollbackError: String(rollbackError),
    });
    const stat = await handle.stat().catch(() => undefined);
    if (stat) segment.bytes = stat.size;
  }
}

/**
 * Settles a failed batch: its appends and barriers reject (their events are no longer pending);
 * its acks and ids go back to the front of the queue. After a failure that stops the journal,
 * everything queued rejects too.
 *
 * @returns The queue from now on.
 */
function failBatch(state: JournalState, batch: readonly Item[], queue: Item[], error: unknown): Item[] {
  const retry: Item[] = [];
  for (const item of batch) {
    if (item.kind === "event") {
      forget(state, item.entry);
      item.settle.reject(error);
    } else if (item.kind === "barrier") {
      item.settle.reject(error);
    } else if (item.kind === "ack" || item.kind === "id") {
      retry.push(item);
    }
    // A failed relocation changes nothing: the event is still where it was; its barrier says so.
  }
  if (state.failure !== undefined) {
    state.queuedBytes = 0;
    for (const item of queue) {
      if (item.kind === "event") forget(state, item.entry);
      if (item.kind === "event" || item.kind === "barrier") item.settle.reject(state.failure);
    }
    return [];
  }
  for (const item of retry) state.queuedBytes += item.bytes.length;
  return [...retry, ...queue];
}

/** An append that failed: no longer pending (unless it was acknowledged, or appended again, meanwhile). */
function forget(state: JournalState, entry: PendingEntry): void {
  if (state.pending.get(entry.event.id) !== entry) return;
  state.pending.delete(entry.event.id);
  state.ackReserve -= entry.ackBytes;
  setHome(entry, undefined);
}
