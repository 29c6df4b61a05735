import { Buffer } from "node:buffer";
// Native (zlib), in Node and in Deno: the JavaScript table loop cost ~3 µs per 1.4 KB event record.
import { crc32 } from "node:zlib";
import { JOURNAL_RECORD_MAX_BYTES } from "../lib/size-limits.ts";

// fatal: bytes that are not UTF-8 are damage, not text to repair.
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Bytes before each payload: its length, then its CRC-32, both 32-bit big-endian. */
export const HEADER_BYTES = 8;

/**
 * The largest payload written or believed when read. A length field above this is corruption,
 * not a record: without the check one flipped bit could make recovery wait for gigabytes.
 * (`--body-limit` is checked against it at start-up in spooled mode: src/lib/size-limits.ts.)
 */
export const MAX_PAYLOAD_BYTES = JOURNAL_RECORD_MAX_BYTES;

/**
 * A record too large for the journal ({@link MAX_PAYLOAD_BYTES}): the event, not the disk, is at
 * fault, so a caller answers it apart from an I/O error (it would fail the same way every time).
 */
export class RecordTooLargeError extends RangeError {
  /** The payload's size in bytes. */
  readonly bytes: number;
  constructor(bytes: number) {
    super(`journal record of ${bytes} bytes is larger than ${MAX_PAYLOAD_BYTES}`);
    this.name = "RecordTooLargeError";
    this.bytes = bytes;
  }
}

/** An accepted event (`t: "e"`). */
export interface EventRecord {
  readonly t: "e";
  readonly id: string;
  /** When it was accepted, ms since the epoch. */
  readonly at: number;
  /** The event, as the JSON text handed to the journal. */
  readonly json: string;
}

/** An acknowledgement (`t: "a"`): every earlier event record with this id is done. */
export interface AckRecord {
  readonly t: "a";
  readonly id: string;
}

/** An id kept only for deduplication (`t: "s"`), written when a segment is compacted. */
export interface IdRecord {
  readonly t: "s";
  readonly id: string;
  readonly at: number;
}

/** One journal record's payload. */
export type JournalRecord = EventRecord | AckRecord | IdRecord;

/**
 * Frames one record: length, CRC-32 of the payload, payload (UTF-8 JSON).
 *
 * @param record The record.
 * @returns The bytes to append to a segment.
 * @throws {RecordTooLargeError} (a RangeError) when the payload is larger than {@link MAX_PAYLOAD_BYTES}; TypeError for an
 *   empty id, a non-finite `at` or a non-string `json`: none of them could be read back.
 * @example
 * ```ts
 * const bytes = encodeRecord({ t: "a", id: "0c3009a5a081707385f2effb8111b053" });
 * ```
 */
export function encodeRecord(record: JournalRecord): Buffer {
  // Refuse here what decodePayload would refuse on the way back: a record written now but not
  // believed at recovery would silently lose its event (and flag its segment as corrupt).
  if (typeof record.id !== "string" || record.id === "") throw new TypeError("a journal record needs a non-empty string id");
  if (record.t !== "a" && !Number.isFinite(record.at)) throw new TypeError(`acceptedAt must be a finite number, not ${record.at}`);
  if (record.t === "e" && typeof record.json !== "string") throw new TypeError("an event's json must be a string");
  // Built field by field so the key order (and so the bytes) never depends on how the caller made the object.
  const payloadText =
    record.t === "e"
      ? JSON.stringify({ t: "e", id: record.id, at: record.at, json: record.json })
      : record.t === "a"
        ? JSON.stringify({ t: "a", id: record.id })
        : JSON.stringify({ t: "s", id: record.id, at: record.at });
  const length = Buffer.byteLength(payloadText, "utf8");
  if (length > MAX_PAYLOAD_BYTES) throw new RecordTooLargeError(length);
  const bytes = Buffer.allocUnsafe(HEADER_BYTES + length);
  bytes.write(payloadText, HEADER_BYTES, "utf8");
  bytes.writeUInt32BE(length, 0);
  bytes.writeUInt32BE(crc32(bytes.subarray(HEADER_BYTES)), 4);
  return bytes;
}

/**
 * Decodes and checks a payload's JSON; anything not exactly one of the three record shapes is
 * refused, so a payload that passed its CRC by chance is still not believed.
 *
 * @param payload The payload bytes (after the header).
 * @returns The record, or undefined when it is not a valid record.
 * @example
 * ```ts
 * decodePayload(new TextEncoder().encode('{"t":"a","id":"x"}')); // { t: "a", id: "x" }
 * ```
 */
export function decodePayload(payload: Uint8Array): JournalRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(UTF8.decode(payload));
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { t, id, at, json } = value as Record<string, unknown>;
  if (typeof id !== "string" || id === "") return undefined;
  if (t === "a") return { t, id };
  if (typeof at !== "number" || !Number.isFinite(at)) return undefined;
  if (t === "s") return { t, id, at };
  if (t === "e" && typeof json === "string") return { t, id, at, json };
  return undefined;
}

/** A record found in a segment, and where. */
export interface ParsedRecord {
  readonly record: JournalRecord;
  readonly offset: number;
  /** Header plus payload. */
  readonly size: number;
}

/** What a segment's bytes hold. */
export interface ParsedSegment {
  /** The records before the first damage (all of them when there is none), in order. */
  readonly records: readonly ParsedRecord[];
  /** The length of the undamaged prefix: where a torn tail would be cut. */
  readonly validBytes: number;
  /** The first damaged record, if any. */
  readonly damage?: { readonly offset: number; readonly reason: string };
  /**
   * Valid records found after the damage by scanning for the next intact frame. Empty for a torn
   * tail; records here mean the damage was in the middle of the segment.
   */
  readonly salvaged: readonly ParsedRecord[];
}

// Every payload encodeRecord writes begins with these bytes: a cheap filter before a CRC when
// scanning damaged bytes for the next record.
const PAYLOAD_PREFIX = Buffer.from('{"t":"', "utf8");

type Step = { readonly ok: true; readonly parsed: ParsedRecord } | { readonly ok: false; readonly reason: string };

function readAt(data: Uint8Array, view: DataView, offset: number): Step {
  const remaining = data.length - offset;
  if (remaining < HEADER_BYTES) return { ok: false, reason: `${remaining} bytes left, less than a record header` };
  const length = view.getUint32(offset);
  if (length > MAX_PAYLOAD_BYTES) return { ok: false, reason: `record length ${length} is larger than ${MAX_PAYLOAD_BYTES}` };
  if (length > remaining - HEADER_BYTES) return { ok: false, reason: `record length ${length} runs past the end of the segment` };
  const payload = data.subarray(offset + HEADER_BYTES, offset + HEADER_BYTES + length);
  if (crc32(payload) !== view.getUint32(offset + 4)) return { ok: false, reason: "CRC-32 mismatch" };
  const record = decodePayload(payload);
  if (!record) return { ok: false, reason: "payload is not a journal record" };
  return { ok: true, parsed: { record, offset, size: HEADER_BYTES + length } };
}

function looksLikeRecord(data: Uint8Array, view: DataView, offset: number): boolean {
  if (data.length - offset < HEADER_BYTES + PAYLOAD_PREFIX.length) return false;
  const length = view.getUint32(offset);
  if (length < PAYLOAD_PREFIX.length || length > data.length - offset - HEADER_BYTES) return false;
  for (let i = 0; i < PAYLOAD_PREFIX.length; i++) if (data[offset + HEADER_BYTES + i] !== PAYLOAD_PREFIX[i]) return false;
  return true;
}

/**
 * Reads every record of a segment, stopping at the first that is torn or corrupt, then scanning
 * the rest for intact records (so damage in the middle can be told from a torn tail, and what
 * follows it is not lost).
 *
 * @param data The whole segment file.
 * @returns The records, where the clean prefix ends, and the damage if any.
 * @example
 * ```ts
 * const { records, damage } = parseSegment(await readFile(path));
 * ```
 */
export function parseSegment(data: Uint8Array): ParsedSegment {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const records: ParsedRecord[] = [];
  let offset = 0;
  while (offset < data.length) {
    const step = readAt(data, view, offset);
    if (!step.ok) {
      const salvaged: ParsedRecord[] = [];
      for (let scan = offset + 1; scan < data.length; ) {
        const found = looksLikeRecord(data, view, scan) ? readAt(data, view, scan) : undefined;
        if (found?.ok) {
          salvaged.push(found.parsed);
          scan += found.parsed.size;
        } else {
          scan++;
        }
      }
      return { records, validBytes: offset, damage: { offset, reason: step.reason }, salvaged };
    }
    records.push(step.parsed);
    offset += step.parsed.size;
  }
  return { records, validBytes: offset, salvaged: [] };
}
