import { mkdir, open, readdir, readFile, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { classifyFiles, syncDirectory } from "./files.ts";
import { createSegment, noteId, setHome, type PendingEntry, type Segment } from "./model.ts";
import { encodeRecord, parseSegment, type ParsedRecord } from "./record.ts";
import { ackRecord, eventRecord, inWindow, type Item, type Settings, type Warn } from "./state.ts";

/** The journal's state as found on disk. */
export interface Recovered {
  /** Segments still on disk, in order. */
  readonly segments: Segment[];
  /** Events without an ack, in the order their first copy was found. */
  readonly pending: Map<string, PendingEntry>;
  /**
   * A stand-in segment (never on disk) for records salvaged from segments set aside as `.bad`:
   * its pending events and ids must be written again, or the next recovery would not see them.
   */
  readonly orphan: Segment;
  /**
   * Acks salvaged from set-aside segments that cancel events still on disk elsewhere: they must be
   * written again too, or those events would come back after the next restart.
   */
  readonly orphanAcks: readonly PendingEntry[];
  /** Damaged segments, still in place: to be set aside once their salvage is written again. */
  readonly damaged: readonly string[];
  /** Highest sequence number in use (including `.bad` files); -1 when none. */
  readonly highestSeq: number;
}

/**
 * Reads every segment in `dir` (created if missing), oldest first, and rebuilds which events are
 * pending.
 *
 * A torn or corrupt record at the end of the last segment is what a crash mid-write leaves: it is
 * cut off (nothing after it was ever reported durable). Damage anywhere else is not a crash: that
 * segment's intact records are salvaged, it is listed in `damaged` (to be renamed `<name>.bad` by
 * {@link setAside} and kept for a person to look at), and recovery goes on with the others.
 *
 * @param dir The journal directory.
 * @param warn Told about each repair.
 * @returns The recovered state.
 * @example
 * ```ts
 * const { segments, pending } = await recoverSegments("/var/spool/telnyx-relay", warn);
 * ```
 */
export async function recoverSegments(dir: string, warn: Warn): Promise<Recovered> {
  await mkdir(dir, { recursive: true });
  const files = classifyFiles(await readdir(dir));
  let directoryChanged = false;
  for (const name of files.temporary) {
    // A compaction that crashed before its rename: the segment it was replacing is still intact.
    await unlink(join(dir, name));
    directoryChanged = true;
  }

  const segments: Segment[] = [];
  const pending = new Map<string, PendingEntry>();
  const orphan = createSegment(dir, -1, "gone");
  const orphanAcks: PendingEntry[] = [];
  const damaged: string[] = [];

  const apply = (records: readonly ParsedRecord[], segment: Segment): void => applyRecords({ pending, orphan, orphanAcks }, records, segment);


  for (const [index, { seq, name }] of files.segments.entries()) {
    const path = join(dir, name);
    const data = await readFile(path);
    const parsed = parseSegment(data);
    const segment = createSegment(dir, seq, "log");
    const last = index === files.segments.length - 1;
    if (!parsed.damage) {
      segment.bytes = data.length;
    } else if (last && parsed.salvaged.length === 0) {
      await truncateDurably(path, parsed.validBytes);
      segment.bytes = parsed.validBytes;
      warn("spool: torn tail truncated", { segment: name, offset: parsed.damage.offset, droppedBytes: data.length - parsed.validBytes, reason: parsed.damage.reason });
    } else {
      // Renamed only after what was salvaged from it is durable elsewhere (see setAside).
      damaged.push(path);
      warn("spool: corrupt segment set aside", {
        segment: name,
        renamedTo: `${name}.bad`,
        offset: parsed.damage.offset,
        reason: parsed.damage.reason,
        salvagedRecords: parsed.records.length + parsed.salvaged.length,
      });
      apply(parsed.records, orphan);
      apply(parsed.salvaged, orphan);
      continue;
    }
    apply(parsed.records, segment);
    // Only id records: a segment compacted earlier. It is deleted once its newest id expires.
    if (parsed.records.length > 0 && parsed.records.every(({ record }) => record.t === "s")) segment.kind = "compact";
    segments.push(segment);
  }
  if (directoryChanged) await syncDirectory(dir);

  return {
    segments,
    pending,
    orphan,
    // An ack whose id was appended again later must not be written after that newer copy.
    orphanAcks: orphanAcks.filter((entry) => !pending.has(entry.event.id)),
    damaged,
    highestSeq: files.highestSeq,
  };
}

/** What {@link applyRecords} builds up, segment after segment. */
interface Replay {
  readonly pending: Map<string, PendingEntry>;
  readonly orphan: Segment;
  readonly orphanAcks: PendingEntry[];
}

/** Replays a segment's records, in order, onto the pending set (events add, acks remove, ids are noted). */
function applyRecords({ pending, orphan, orphanAcks }: Replay, records: readonly ParsedRecord[], segment: Segment): void {
  for (const { record, size } of records) {
    if (record.t === "e") {
      let entry = pending.get(record.id);
      if (!entry) {
        const ackBytes = ackRecord(record.id).length;
        entry = { event: { id: record.id, json: record.json, acceptedAt: record.at }, recordBytes: size, ackBytes, home: undefined, copies: [], durable: Promise.resolve("ok") };
        pending.set(record.id, entry);
      }
      // A second copy of a pending event is a relocation (or a redelivery appended twice): the
      // newest copy is the one that must survive compaction.
      entry.copies.push(segment);
      setHome(entry, segment);
      noteId(segment, record.id, record.at);
    } else if (record.t === "a") {
      const entry = pending.get(record.id);
      if (!entry) continue;
      for (const copy of entry.copies) segment.ackTargets.add(copy);
      setHome(entry, undefined);
      pending.delete(record.id);
      if (segment === orphan && entry.copies.some((copy) => copy !== orphan)) orphanAcks.push(entry);
    } else {
      noteId(segment, record.id, record.at);
    }
  }
}
/** Cuts a file to `size` bytes, durably. */
async function truncateDurably(path: string, size: number): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.truncate(size);
    await handle.datasync();
  } finally {
    await handle.close();
  }
}

/**
 * Renames damaged segments to `<name>.bad`, where recovery no longer reads them but a person can.
 *
 * Called once their salvaged records have been written again and made durable: renaming first
 * would lose those records if the process died in between.
 *
 * @param dir The journal directory.
 * @param paths The damaged segments' paths.
 * @returns Once the renames are durable.
 * @example
 * ```ts
 * await setAside(dir, recovered.damaged);
 * ```
 */
export async function setAside(dir: string, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  for (const path of paths) await rename(path, `${path}.bad`);
  await syncDirectory(dir);
}

/**
 * The ids accepted within the dedup window as found at open (acknowledged or not), each with its
 * newest acceptedAt.
 *
 * @param found What recovery found.
 * @param settings The journal's settings (the window).
 * @param openedAt The time of the open.
 * @returns Id → acceptedAt.
 * @example
 * ```ts
 * for (const [id, at] of recentIdsOf(found, settings, now())) dedup.remember(id, at);
 * ```
 */
export function recentIdsOf(found: Recovered, settings: Settings, openedAt: number): Map<string, number> {
  const recentIds = new Map<string, number>();
  for (const segment of [...found.segments, found.orphan]) {
    for (const [id, at] of segment.ids) {
      const known = recentIds.get(id);
      if (inWindow(settings, at, openedAt) && (known === undefined || at > known)) recentIds.set(id, at);
    }
  }
  return recentIds;
}

/**
 * Records salvaged from set-aside segments, to be written again before anything else so the next
 * recovery finds them in a segment that is intact: acks that cancel events still on disk elsewhere,
 * pending events, and ids inside the dedup window.
 *
 * @param found What recovery found.
 * @param settings The journal's settings (the window).
 * @param openedAt The time of the open.
 * @returns The items to commit, in that order.
 * @example
 * ```ts
 * for (const item of salvageItems(found, settings, openedAt)) writer.push(item);
 * ```
 */
export function salvageItems(found: Recovered, settings: Settings, openedAt: number): Item[] {
  const salvage: Item[] = [];
  for (const entry of found.orphanAcks) salvage.push({ kind: "ack", entry, bytes: ackRecord(entry.event.id) });
  for (const entry of found.pending.values()) {
    if (entry.home === found.orphan) salvage.push({ kind: "relocate", entry, from: found.orphan, bytes: eventRecord(entry.event) });
  }
  for (const [id, at] of found.orphan.ids) {
    if (inWindow(settings, at, openedAt) && !found.pending.has(id)) salvage.push({ kind: "id", id, at, bytes: encodeRecord({ t: "s", id, at }) });
  }
  return salvage;
}
