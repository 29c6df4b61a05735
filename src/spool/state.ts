import type { Buffer } from "node:buffer";
import type { FileHandle } from "node:fs/promises";
import type { PendingEntry, Segment, SpooledEvent } from "./model.ts";
import { encodeRecord } from "./record.ts";

/** Reports a repair or a failure that is not fatal. */
export type Warn = (message: string, fields: Record<string, unknown>) => void;

/** What the journal does to the disk after open, as its test hook names them. */
export type WriteOperation = "append" | "rotate" | "compact";

/** The limits, clock and hooks of an open journal, resolved from its options. */
export interface Settings {
  readonly dir: string;
  readonly maxBytes: number;
  readonly segmentBytes: number;
  /** The dedup window; 0: ids are not remembered across restarts. */
  readonly windowMs: number;
  /** Room for id-only segments (and a compaction's temp file), beside maxBytes: a quarter of it. */
  readonly idAllowance: number;
  readonly now: () => number;
  readonly warn: Warn;
  /** fdatasync of a commit (through the test hook, if any). */
  readonly datasync: (handle: FileHandle) => Promise<void>;
  /** Awaited before each write after open (the test hook, or nothing). */
  readonly beforeWrite: (operation: WriteOperation, path: string, bytes: number) => Promise<void>;
}

/** Settles an append or a barrier once its commit is done. */
export interface Settle {
  resolve(): void;
  reject(error: unknown): void;
}

/** Something waiting to be written with the next commit. */
export type Item =
  | { readonly kind: "event"; readonly entry: PendingEntry; readonly bytes: Buffer; readonly settle: Settle }
  /** A pending event copied forward so the segment it is in can be compacted (or salvaged). */
  | { readonly kind: "relocate"; readonly entry: PendingEntry; readonly from: Segment; readonly bytes: Buffer }
  | { readonly kind: "ack"; readonly entry: PendingEntry; readonly bytes: Buffer }
  /** An id record salvaged from a set-aside segment. */
  | { readonly kind: "id"; readonly id: string; readonly at: number; readonly bytes: Buffer }
  /** Writes nothing; settles when the commit it joined did. */
  | { readonly kind: "barrier"; readonly bytes: Buffer; readonly settle: Settle };

/**
 * The journal's shared state: the segment files, the pending events, and the bytes they take.
 * Each part (group commit, rotation, compaction) changes only the fields its comment names.
 */
export interface JournalState {
  readonly settings: Settings;
  /** Segments on disk, in sequence order, the active one last (rotation and compaction change it). */
  segments: Segment[];
  /** The segment commits append to, and its open file (rotation changes them). */
  active: Segment;
  activeHandle: FileHandle;
  /** The highest sequence number in use. */
  highestSeq: number;
  /** Events appended or recovered and not acknowledged, by id. */
  readonly pending: Map<string, PendingEntry>;
  /** Bytes of records queued or being written, not yet counted in a segment (group commit). */
  queuedBytes: number;
  /** Room kept for the ack record of every pending event, so an ack never finds the journal full. */
  ackReserve: number;
  /** A compaction's temp file while it exists: it is on disk too (and counts as id records). */
  tempBytes: number;
  /** When the commit in flight (its rotation, write and fdatasync) started, on the journal's clock; undefined while none is. */
  commitSince: number | undefined;
  /** Whether the last commit failed (set by the commit itself, before it settles the batch). */
  lastCommitFailed: boolean;
  /** Set when a failed commit could not be rolled back: the segment's state is unknown, so the journal stops. */
  failure: unknown;
}

/**
 * Bytes of all segment files on disk now, a compaction's temp file included.
 *
 * @param state The journal.
 * @returns The sum.
 * @example
 * ```ts
 * metrics.spool(() => ({ bytes: diskBytes(state) }));
 * ```
 */
export function diskBytes(state: JournalState): number {
  return state.segments.reduce((sum, segment) => sum + segment.bytes, state.tempBytes);
}

/**
 * Bytes of id-only segments and a compaction's temp file: the id allowance's, not maxBytes'.
 *
 * @param state The journal.
 * @returns The sum.
 * @example
 * ```ts
 * while (idBytes(state) + size > state.settings.idAllowance) await removeOldest();
 * ```
 */
export function idBytes(state: JournalState): number {
  return state.segments.reduce((sum, segment) => sum + (segment.kind === "compact" ? segment.bytes : 0), state.tempBytes);
}

/**
 * What counts against maxBytes: segments holding event records, records queued, and the room kept
 * for pending events' acks.
 *
 * @param state The journal.
 * @returns The bytes.
 * @example
 * ```ts
 * if (countedBytes(state) + record.length + ackBytes > maxBytes) return "full";
 * ```
 */
export function countedBytes(state: JournalState): number {
  return diskBytes(state) - idBytes(state) + state.queuedBytes + state.ackReserve;
}

/**
 * Whether an id accepted at `at` is still inside the dedup window at `time`.
 *
 * @param settings The journal's settings.
 * @param at When the id was accepted.
 * @param time Now.
 * @returns False always with a window of 0.
 * @example
 * ```ts
 * const keep = [...segment.ids].filter(([, at]) => inWindow(state.settings, at, time));
 * ```
 */
export function inWindow(settings: Settings, at: number, time: number): boolean {
  return settings.windowMs > 0 && time - at < settings.windowMs;
}

/**
 * The ack record of an event id.
 *
 * @param id The event id.
 * @returns Its bytes.
 * @example
 * ```ts
 * writer.push({ kind: "ack", entry, bytes: ackRecord(id) });
 * ```
 */
export function ackRecord(id: string): Buffer {
  return encodeRecord({ t: "a", id });
}

/**
 * The event record of an event.
 *
 * @param event The event.
 * @returns Its bytes.
 * @throws As {@link encodeRecord}, for an event that could not be read back.
 * @example
 * ```ts
 * writer.push({ kind: "relocate", entry, from: segment, bytes: eventRecord(entry.event) });
 * ```
 */
export function eventRecord(event: SpooledEvent): Buffer {
  return encodeRecord({ t: "e", id: event.id, at: event.acceptedAt, json: event.json });
}
