import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import type { FileHandle } from "node:fs/promises";
import { createIdTable, type IdTable } from "./id-table.ts";
import { within } from "./within.ts";
import { splitLines } from "./split-lines.ts";
import { writeFully } from "./write-fully.ts";

/**
 * A signed delivery that could not become an event (`invalid_event`), or an event the downstream
 * refused for good (`downstream_rejected`): kept so it is not lost.
 */
export type DeadLetter =
  | {
      /** When the relay received it (RFC 3339). */
      readonly receivedAt: string;
      readonly reason: "invalid_event";
      readonly detail: string;
      /** The two Telnyx headers as received, so the record can be re-verified or replayed. */
      readonly headers: { readonly "telnyx-timestamp": string; readonly "telnyx-signature-ed25519": string };
      /** The `Content-Type` as received, so `telnyx-relay replay` decodes the body as the relay did. */
      readonly contentType?: string;
      /** The TeXML per-kind path it came on (`<--path>/texml/<kind>`), which decides its type. */
      readonly texmlKind?: string;
      /** The raw body as text when it is valid UTF-8 (Telnyx form bodies are ASCII)… */
      readonly body?: string;
      /** …or else as base64, so the record still verifies against its signature. */
      readonly bodyBase64?: string;
    }
  | {
      readonly receivedAt: string;
      readonly reason: "downstream_rejected";
      readonly detail: string;
      readonly id: string;
      /** The downstream's answer in its transport's terms (HTTP: its `status` and the start of its body, `bodyExcerpt`). */
      readonly response: Readonly<Record<string, string | number>>;
      /** The CloudEvent that was forwarded, as JSON text. */
      readonly event: string;
    };

/** The default bound of the dead-letter file (`--dead-letter-max-bytes`): 64 MiB. */
export const DEAD_LETTER_MAX_BYTES = 64 * 1024 * 1024;

/**
 * What became of a record: `kept` (written and flushed now), `duplicate` (the same delivery, or the
 * same refused event, is in the file already), `full` (the file is at its bound: not written),
 * `failed` (the file could not be written), `late` (not on disk within the deadline: the write goes
 * on, and a redelivery that finds it there once it is is a `duplicate`).
 */
export const DEAD_LETTER_RESULTS = ["kept", "duplicate", "full", "failed", "late"] as const;

/** One of {@link DEAD_LETTER_RESULTS}. */
export type DeadLetterResult = (typeof DEAD_LETTER_RESULTS)[number];

/** An append-only JSON-lines file of dead letters: what its writers need. */
export interface DeadLetterFile {
  readonly path: string;
  /** Appends one record; resolves true when it is on disk (now, or already was), false (never throws) when it is not. */
  write(record: DeadLetter): Promise<boolean>;
  close(): Promise<void>;
}

/** A dead-letter file bounded in size, each delivery stored once, that says what became of a record. */
export interface BoundedDeadLetterFile extends DeadLetterFile {
  /** As `write`, telling why: a caller answers "full" differently from "failed" (never throws). */
  append(record: DeadLetter): Promise<DeadLetterResult>;
  /** Bytes in the file as last known, and records not written since start: already there, or the file full. */
  stats(): DeadLetterStats;
  /** Whether a write answered `late` is still not done: the disk hangs (readiness says so). */
  overdue(): boolean;
}

/** What {@link BoundedDeadLetterFile.stats} tells, for the metrics. */
export interface DeadLetterStats {
  readonly bytes: number;
  /** Records written since start (`kept`), by reason. */
  readonly kept: Readonly<Record<DeadLetter["reason"], number>>;
  readonly duplicates: number;
  readonly refused: number;
}

/** What {@link createDeadLetterFile} takes besides the path. */
export interface DeadLetterOptions {
  /** The file is not grown past this many bytes (default {@link DEAD_LETTER_MAX_BYTES}). */
  readonly maxBytes?: number;
  /** Records remembered to recognise a duplicate; past it the oldest are forgotten (default 131,072: 4 MiB). */
  readonly maxRemembered?: number;
  /**
   * An append not on disk within this many ms is answered `late` (`--sink-timeout`: its caller is a
   * request Telnyx waits on); the write goes on. Unset: appends wait as long as the disk takes.
   */
  readonly timeoutMs?: number;
  /** Told about a repair made at open (a record cut short by a crash, removed). */
  readonly onWarning?: (message: string, fields: Record<string, unknown>) => void;
  /**
   * For tests: wraps every fdatasync of a record. It must call `flush` (the real fdatasync) and
   * return its promise, or throw to simulate an I/O error.
   */
  readonly datasync?: (flush: () => Promise<void>) => Promise<void>;
  /** Told why an append `failed` (the error from opening, reading back or writing the file), so it can be logged. */
  readonly onError?: (error: unknown) => void;
}

const MAX_REMEMBERED = 131_072;
const READ_CHUNK_BYTES = 1 << 20;

/**
 * Opens (lazily, on the first record) a dead-letter file for appending.
 *
 * Records are written one at a time, each as one line with a single write, then `datasync`ed:
 * the relay answers the sender only after the record is on disk. A record the file holds already
 * (the same reason and the same raw body, or the same refused event: a replay of one captured
 * delivery, a Telnyx redelivery) is not written again; what the file holds is read back when it is
 * opened. A record that would take the file past `maxBytes` is refused (`full`): what is in the file
 * stays, and the caller answers so that the sender delivers again. Moving the file away (or
 * truncating it) makes room: before each record the path is checked, and a new file is started
 * when it no longer is the one open.
 *
 * A record cut short by a crash (`kill -9` in the middle of a large one) is cut off when the file
 * is opened (a tail that is not a whole line, unless it is a whole record missing only its line
 * break), so the next record starts a line of its own instead of being glued to the fragment. The
 * fragment was never answered as kept: its sender delivers it again.
 *
 * With `timeoutMs`, an append not on disk by then is answered `late` and goes on in the
 * background (appends are written one at a time, so the next one waits for it): a redelivery
 * is then answered only once the first copy is on disk (`duplicate`), or `late` again.
 *
 * @param path The file; created if missing, appended to if present.
 * @param options The size bound, and how many records are remembered for duplicates.
 * @returns The dead-letter file.
 * @example
 * ```ts
 * const deadLetters = createDeadLetterFile("./telnyx-relay-dead-letter.jsonl", { maxBytes: DEAD_LETTER_MAX_BYTES });
 * await deadLetters.append({ receivedAt, reason: "invalid_event", detail, headers, body }); // "kept"
 * ```
 */
export function createDeadLetterFile(path: string, options: DeadLetterOptions = {}): BoundedDeadLetterFile {
  const maxBytes = options.maxBytes ?? DEAD_LETTER_MAX_BYTES;
  const maxRemembered = Math.max(1, options.maxRemembered ?? MAX_REMEMBERED);
  const { timeoutMs, datasync } = options;
  const warn = options.onWarning ?? (() => {});
  let open: Promise<OpenFile> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let bytes = 0;
  const kept = { invalid_event: 0, downstream_rejected: 0 };
  let duplicates = 0;
  let refused = 0;
  // Appends answered `late` whose write has not finished.
  let late = 0;

  const reopen = (): Promise<OpenFile> => {
    const previous = open;
    open = openFile(path, maxBytes, maxRemembered, warn);
    previous?.then((file) => file.handle.close()).catch(() => {});
    return open;
  };

  const appendNow = async (record: DeadLetter): Promise<DeadLetterResult> => {
    try {
      // node:fs/promises is loaded with the first dead letter, not at every start.
      const fs = await import("node:fs/promises");
      let file = await (open ?? reopen());
      // Moved away, deleted or truncated since it was opened: start afresh on what is there now.
      const now = await fs.stat(path).catch(() => undefined);
      if (now === undefined || now.ino !== file.ino || now.size < file.bytes) file = await reopen();
      bytes = file.bytes;
      const key = fingerprint(record);
      if (file.seen.get(key) !== undefined) {
        duplicates++;
        return "duplicate";
      }
      const line = `${JSON.stringify(record)}\n`;
      const size = Buffer.byteLength(line);
      if (file.bytes + size > maxBytes) {
        refused++;
        return "full";
      }
      try {
        // Every byte or none: one write may take fewer bytes than given (a nearly full disk), and a
        // record cut short would be "kept" and lost, and would garble the next one.
        await writeFully(file.handle, Buffer.from(line));
        const { handle } = file;
        await (datasync ? datasync(() => handle.datasync()) : handle.datasync());
      } catch (error) {
        await file.handle.truncate(file.bytes).catch(() => {});
        throw error;
      }
      file.bytes += size;
      bytes = file.bytes;
      file.seen.add(key, 0);
      kept[record.reason]++;
      return "kept";
    } catch (error) {
      options.onError?.(error);
      // Open afresh next time: the disk may come back, or the file may have been moved away.
      const failed = open;
      open = undefined;
      failed?.then((file) => file.handle.close()).catch(() => {});
      return "failed";
    }
  };

  const append = async (record: DeadLetter): Promise<DeadLetterResult> => {
    const result = queue.then(() => appendNow(record));
    queue = result;
    if (timeoutMs === undefined || (await within(result, timeoutMs))) return result;
    late++;
    void result.finally(() => late--);
    return "late";
  };

  return {
    path,
    append,
    write: (record) => append(record).then((result) => result === "kept" || result === "duplicate"),
    stats: () => ({ bytes, kept: { ...kept }, duplicates, refused }),
    overdue: () => late > 0,
    async close() {
      await queue;
      const file = await open?.catch(() => undefined);
      await file?.handle.close();
    },
  };
}

interface OpenFile {
  readonly handle: FileHandle;
  readonly ino: number;
  /** The file's size: what it had when opened, plus what was appended since. */
  bytes: number;
  /** Fingerprints of the records in the file. */
  readonly seen: IdTable;
}

/**
 * Opens the file for appending, cuts off a record a crash left unfinished, and reads back the
 * fingerprints of what it holds (its first `maxBytes`).
 */
async function openFile(path: string, maxBytes: number, maxRemembered: number, warn: (message: string, fields: Record<string, unknown>) => void): Promise<OpenFile> {
  const { open } = await import("node:fs/promises");
  const handle = await open(path, "a", 0o600);
  try {
    const { ino, size: found } = await handle.stat();
    const size = await repairTail(path, handle, found, warn);
    const seen = createIdTable(maxRemembered);
    if (size > 0) await readFingerprints(path, Math.min(size, maxBytes), seen);
    return { handle, ino, bytes: size, seen };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Makes the file end at the end of a line. A tail after the last line break is a record a crash cut
 * short (`kill -9` while a large one was being written): it is cut off, so the next record does not
 * continue it. A tail that is a whole record (written by hand without a final line break) is ended
 * with a line break instead.
 *
 * @returns The file's size afterwards.
 */
async function repairTail(path: string, handle: FileHandle, size: number, warn: (message: string, fields: Record<string, unknown>) => void): Promise<number> {
  if (size === 0) return 0;
  const { open } = await import("node:fs/promises");
  const reader = await open(path, "r");
  let lineEnd: number;
  try {
    lineEnd = await lastLineEnd(reader, size);
    if (lineEnd === size) return size;
    const tail = Buffer.alloc(size - lineEnd);
    const { bytesRead } = await reader.read(tail, 0, tail.length, lineEnd);
    if (isRecord(tail.subarray(0, bytesRead).toString("utf8"))) {
      await writeFully(handle, Buffer.from("\n"));
      await handle.datasync();
      return size + 1;
    }
  } finally {
    await reader.close();
  }
  await handle.truncate(lineEnd);
  await handle.datasync();
  warn("dead-letter file: removed a record cut short (a crash while it was written)", { file: path, bytes: size - lineEnd, offset: lineEnd });
  return lineEnd;
}

/** The offset just after the file's last line break (0 when it has none). */
async function lastLineEnd(reader: FileHandle, size: number): Promise<number> {
  const chunk = Buffer.alloc(Math.min(READ_CHUNK_BYTES, size));
  for (let end = size; end > 0; ) {
    const start = Math.max(0, end - chunk.length);
    const { bytesRead } = await reader.read(chunk, 0, end - start, start);
    const at = chunk.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (at >= 0) return start + at + 1;
    end = start;
  }
  return 0;
}

/** Whether a line is a whole dead-letter record (a JSON object with a reason). */
function isRecord(line: string): boolean {
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === "object" && value !== null && typeof (value as { reason?: unknown }).reason === "string";
  } catch {
    return false;
  }
}

async function readFingerprints(path: string, limit: number, seen: IdTable): Promise<void> {
  const { open } = await import("node:fs/promises");
  const reader = await open(path, "r");
  try {
    const feed = splitLines((line) => {
      try {
        seen.add(fingerprint(JSON.parse(line) as DeadLetter), 0);
      } catch {
        // Not a record (a line cut short by a crash, or written by hand): nothing to recognise.
      }
    });
    const chunk = new Uint8Array(Math.min(READ_CHUNK_BYTES, limit));
    for (let at = 0; at < limit; ) {
      const { bytesRead } = await reader.read(chunk, 0, Math.min(chunk.length, limit - at), at);
      if (bytesRead === 0) break;
      feed(chunk.subarray(0, bytesRead));
      at += bytesRead;
    }
  } finally {
    await reader.close();
  }
}

/**
 * What makes two records the same dead letter: the reason and the raw delivery (its body, its
 * Content-Type and its TeXML per-kind path, which decide how `replay` decodes and validates it), or
 * the refused event. Not the time received, nor the headers: a redelivery is signed anew.
 */
function fingerprint(record: DeadLetter): string {
  const hash = createHash("sha256").update(`${record.reason}\n`);
  if (record.reason === "downstream_rejected") return hash.update(record.event).digest("hex").slice(0, 32);
  // JSON-encoded, so no content type or kind can run into the next field.
  hash.update(`${JSON.stringify([record.contentType ?? null, record.texmlKind ?? null])}\n`);
  return hash.update(record.body ?? `base64:${record.bodyBase64 ?? ""}`).digest("hex").slice(0, 32);
}
