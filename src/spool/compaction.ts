import { Buffer } from "node:buffer";
import { open, rename, unlink } from "node:fs/promises";
import { basename } from "node:path";
import { DISK_RETRY_MS, isDiskFull, retryDue } from "./disk-retry.ts";
import { syncDirectory, writeFully } from "./files.ts";
import type { GroupCommit } from "./group-commit.ts";
import { noteId, type PendingEntry, type Segment } from "./model.ts";
import { encodeRecord } from "./record.ts";
import { countedBytes, eventRecord, idBytes, inWindow, type JournalState } from "./state.ts";

/** The journal's compaction: segments no longer needed are deleted, or shrunk to their ids. */
export interface Maintenance {
  /** Runs one pass after whatever pass is running; passes asked for meanwhile share it. */
  kick(): Promise<void>;
  /** The last pass asked for (settled once every pass so far is done). */
  chain(): Promise<void>;
  /** Whether a pass is asked for and has not started. */
  waiting(): boolean;
}

/**
 * Makes the compaction of a journal. A pass looks at every segment but the active one, oldest
 * first: one whose events are all acknowledged (and whose acks cancel nothing still on disk) is
 * deleted, or compacted to id records while some ids are inside the dedup window; one whose few
 * remaining pending events take under a quarter of it has them copied forward first, so a single
 * stuck event cannot pin a whole segment. Id-only segments are kept within the id allowance, the
 * oldest deleted first, and deleted once their newest id leaves the window. Changes
 * `state.segments` (removing), `tempBytes`, and segments' kinds, sizes and ids.
 *
 * @param state The journal.
 * @param writer Where relocated events are written.
 * @returns The compaction.
 * @example
 * ```ts
 * const maintenance = createMaintenance(state, writer);
 * await maintenance.kick();
 * ```
 */
export function createMaintenance(state: JournalState, writer: GroupCommit): Maintenance {
  const { warn, now } = state.settings;
  let chain: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;
  /** The last failed attempt to delete or compact each segment, while they keep failing. */
  const dropFailedAt = new Map<Segment, number>();

  const kick = (): Promise<void> => {
    if (queued) return queued;
    const pass = chain.then(async () => {
      queued = undefined;
      try {
        await maintain();
      } catch (error) {
        warn("spool: maintenance failed", { error: String(error) });
      }
    });
    queued = pass;
    chain = pass;
    return pass;
  };

  const maintain = async (): Promise<void> => {
    const time = now();
    for (const segment of state.segments.slice()) {
      if (segment === state.active || segment.kind === "gone") continue;
      // One that failed lately is left alone for a while: an unwritable directory would otherwise
      // cost a failed unlink and a warning on every commit.
      if (!retryDue(dropFailedAt.get(segment), time)) continue;
      if (segment.kind === "compact") {
        if (!inWindow(state.settings, segment.newestAt, time)) await drop(segment, time);
        continue;
      }
      // Not right after a failed commit: the copies would need room the disk may not have, and
      // their failed commit would kick this pass again, and so on for ever.
      if (!state.lastCommitFailed && segment.live.size > 0 && segment.liveBytes * 4 < segment.bytes) await relocate(state, writer, segment);
      if (segment.live.size === 0 && ackTargetsGone(segment)) await drop(segment, time);
    }
    // Also catches what a previous run left over the allowance (a smaller maxBytes now).
    try {
      await fitIds(state, undefined, 0);
    } catch (error) {
      warn("spool: could not delete an id-only segment", { error: String(error) });
    }
    for (const segment of dropFailedAt.keys()) if (segment.kind === "gone") dropFailedAt.delete(segment);
  };

  /** Deletes or compacts a segment; a failure is warned about once and tried again after a while. */
  const drop = async (segment: Segment, time: number): Promise<void> => {
    try {
      await dropOrCompact(state, segment, time);
      dropFailedAt.delete(segment);
    } catch (error) {
      if (!dropFailedAt.has(segment)) {
        warn("spool: could not delete or compact a segment; trying again every few seconds", { segment: basename(segment.path), retryMs: DISK_RETRY_MS, error: String(error) });
      }
      dropFailedAt.set(segment, now());
    }
  };

  return { kick, chain: () => chain, waiting: () => queued !== undefined };
}

/** Whether no segment whose events this one's acks cancel still holds events. */
function ackTargetsGone(segment: Segment): boolean {
  for (const target of segment.ackTargets) if (target !== segment && target.kind === "log") return false;
  return true;
}

/** Copies a segment's last few pending events into the active segment, so it can be compacted. */
async function relocate(state: JournalState, writer: GroupCommit, segment: Segment): Promise<void> {
  const entries: PendingEntry[] = [];
  let size = 0;
  for (const id of segment.live) {
    const entry = state.pending.get(id);
    if (entry?.home !== segment) continue;
    entries.push(entry);
    size += entry.recordBytes;
  }
  if (entries.length === 0 || countedBytes(state) + size > state.settings.maxBytes) return;
  for (const entry of entries) writer.push({ kind: "relocate", entry, from: segment, bytes: eventRecord(entry.event) });
  // Their homes move when the commit completes; a failed one leaves them where they were.
  await writer.barrier().catch(() => {});
}

/** Deletes a segment's file and forgets it. */
async function remove(state: JournalState, segment: Segment): Promise<void> {
  await unlink(segment.path).catch((error: unknown) => {
    if ((error as { code?: unknown }).code !== "ENOENT") throw error;
  });
  await syncDirectory(state.settings.dir);
  segment.kind = "gone";
  state.segments = state.segments.filter((candidate) => candidate !== segment);
}

/**
 * Deletes id-only segments, oldest first, until `size` more bytes of id records fit in the id
 * allowance. Only those older than `segment` (the one about to be compacted) are deleted for it.
 *
 * @returns false when they would not fit even so: `segment`'s ids are the oldest left to drop.
 */
async function fitIds(state: JournalState, segment: Segment | undefined, size: number): Promise<boolean> {
  while (idBytes(state) + size > state.settings.idAllowance) {
    // segments is in sequence order.
    const oldest = state.segments.find((candidate) => candidate.kind === "compact" && candidate !== segment);
    if (!oldest || (segment !== undefined && oldest.seq > segment.seq)) return false;
    await remove(state, oldest);
  }
  return true;
}

/** Ids to keep, with their id records. */
interface Kept {
  readonly ids: Array<[string, number]>;
  readonly records: Buffer[];
}

/**
 * Deletes a segment nothing needs, or compacts it to the ids still inside the dedup window
 * (deleting it after all when those do not fit in the id allowance, or the disk is full).
 */
async function dropOrCompact(state: JournalState, segment: Segment, time: number): Promise<void> {
  const inside = [...segment.ids].filter(([, at]) => inWindow(state.settings, at, time));
  if (inside.length === 0) return remove(state, segment);
  if (segment.kind !== "log") return;
  const kept = await idsThatFit(state, segment, inside);
  if (kept.ids.length === 0) return remove(state, segment);
  const size = await writeIdSegment(state, segment, kept);
  if (size === undefined) return;
  segment.kind = "compact";
  segment.bytes = size;
  segment.ids.clear();
  segment.newestAt = -Infinity;
  for (const [id, at] of kept.ids) noteId(segment, id, at);
  segment.ackTargets.clear();
  await syncDirectory(state.settings.dir);
}

/** The id records of `ids`, or as many of the newest as fit in the id allowance once older id-only segments are deleted. */
async function idsThatFit(state: JournalState, segment: Segment, ids: Array<[string, number]>): Promise<Kept> {
  const records = ids.map(([id, at]) => encodeRecord({ t: "s", id, at }));
  const size = records.reduce((sum, record) => sum + record.length, 0);
  if (await fitIds(state, segment, size)) return { ids, records };
  // Even with the older id-only segments gone they do not fit: keep the newest that do.
  const room = state.settings.idAllowance - idBytes(state);
  const newestFirst = ids.map((entry, index) => ({ entry, record: records[index]! })).sort((a, b) => b.entry[1] - a.entry[1]);
  const kept: Kept = { ids: [], records: [] };
  let used = 0;
  for (const { entry, record } of newestFirst) {
    if (used + record.length > room) break;
    kept.ids.push(entry);
    kept.records.push(record);
    used += record.length;
  }
  return kept;
}

/**
 * Replaces a segment's file with one of id records (temp file, fdatasync, rename: after a crash the
 * segment is either all of the old one or all of the new). A full disk deletes the segment instead.
 *
 * @returns The new file's size, or undefined when the segment was deleted instead.
 */
async function writeIdSegment(state: JournalState, segment: Segment, kept: Kept): Promise<number | undefined> {
  const data = kept.records.length === 1 ? kept.records[0]! : Buffer.concat(kept.records);
  const temp = `${segment.path}.tmp`;
  state.tempBytes = data.length;
  try {
    await state.settings.beforeWrite("compact", temp, data.length);
    const handle = await open(temp, "w");
    try {
      await writeFully(handle, data);
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, segment.path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    if (!isDiskFull(error)) throw error;
    // No room for the ids: deleting frees the segment's room, which a full disk needs more than
    // dedup memory across a restart (this run still remembers them). Nothing pending is lost: only
    // segments without pending events get here.
    await remove(state, segment);
    state.settings.warn("spool: disk full; an acknowledged segment was deleted instead of compacted, so its ids are not remembered after a restart", {
      segment: basename(segment.path),
      ids: kept.ids.length,
      error: String(error),
    });
    return undefined;
  } finally {
    state.tempBytes = 0;
  }
  return data.length;
}
