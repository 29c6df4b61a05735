import { join } from "node:path";
import { segmentName } from "./files.ts";

/** One accepted event, as the journal keeps it. */
export interface SpooledEvent {
  /** The event id (the deduplication key). */
  readonly id: string;
  /** The event as JSON text, handed on as it is. */
  readonly json: string;
  /** When it was accepted, ms since the epoch. */
  readonly acceptedAt: number;
}

/**
 * What the journal knows about one segment file.
 *
 * `log` segments hold events, acks and ids as written; `compact` ones only id records kept for
 * deduplication; `gone` ones were deleted or set aside (kept as an object because pending
 * entries and ack targets may still point at them).
 */
export interface Segment {
  readonly seq: number;
  readonly path: string;
  kind: "log" | "compact" | "gone";
  /** Its size on disk. */
  bytes: number;
  /** Ids of pending events whose newest copy is here. */
  readonly live: Set<string>;
  /** Sum of `live`'s sizes: how much of the segment compaction could not drop. */
  liveBytes: number;
  /** Every id with an event or id record here → the newest acceptedAt among them. */
  readonly ids: Map<string, number>;
  /** The newest acceptedAt in `ids` (-Infinity when empty): a compact segment expires with it. */
  newestAt: number;
  /**
   * Segments holding event records that this segment's ack records cancel. While one of them
   * still holds events this segment must stay, or those events would come back as pending.
   */
  readonly ackTargets: Set<Segment>;
}

/**
 * Makes the in-memory record of a segment.
 *
 * @param dir The journal directory.
 * @param seq Its sequence number.
 * @param kind What it holds.
 * @returns The segment, empty.
 * @example
 * ```ts
 * const active = createSegment(dir, highestSeq + 1, "log");
 * ```
 */
export function createSegment(dir: string, seq: number, kind: Segment["kind"]): Segment {
  return { seq, path: join(dir, segmentName(seq)), kind, bytes: 0, live: new Set(), liveBytes: 0, ids: new Map(), newestAt: -Infinity, ackTargets: new Set() };
}

/**
 * Remembers that an id was accepted at `at`, in this segment.
 *
 * @param segment Where its record is.
 * @param id The event id.
 * @param at Its acceptedAt.
 * @example
 * ```ts
 * noteId(active, event.id, event.acceptedAt);
 * ```
 */
export function noteId(segment: Segment, id: string, at: number): void {
  const known = segment.ids.get(id);
  if (known === undefined || at > known) segment.ids.set(id, at);
  if (at > segment.newestAt) segment.newestAt = at;
}

/** An event appended (or recovered) and not acknowledged. */
export interface PendingEntry {
  readonly event: SpooledEvent;
  /** Size of its event record. */
  readonly recordBytes: number;
  /** Size of the ack record it will need: reserved from the start, so an ack always fits. */
  readonly ackBytes: number;
  /** The segment holding its newest durable copy; undefined until its first write completes. */
  home: Segment | undefined;
  /** Every segment an event record of it was written to (more than one after a relocation). */
  readonly copies: Segment[];
  /** Resolves when its first copy is on disk. */
  readonly durable: Promise<"ok">;
}

/**
 * Moves a pending entry's live bytes from its old home (if any) to a new one (or none, when it
 * is acknowledged or its write failed).
 *
 * @param entry The entry.
 * @param home The segment its newest copy is in now, or undefined.
 * @example
 * ```ts
 * setHome(entry, undefined); // acknowledged
 * ```
 */
export function setHome(entry: PendingEntry, home: Segment | undefined): void {
  const old = entry.home;
  if (old?.live.delete(entry.event.id)) old.liveBytes -= entry.recordBytes;
  entry.home = home;
  if (home && !home.live.has(entry.event.id)) {
    home.live.add(entry.event.id);
    home.liveBytes += entry.recordBytes;
  }
}
