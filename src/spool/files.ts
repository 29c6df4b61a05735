import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";

const SEGMENT = /^journal-(\d{16})\.log$/;
const DAMAGED = /^journal-(\d{16})\.log\.bad$/;
const TEMPORARY = /^journal-\d{16}\.log\.tmp$/;

/**
 * The file name of segment number `seq`: zero-padded so names sort in sequence order.
 *
 * @param seq The segment's sequence number (a safe integer, at least 0).
 * @returns e.g. `journal-0000000000000007.log`.
 * @example
 * ```ts
 * segmentName(7); // "journal-0000000000000007.log"
 * ```
 */
export function segmentName(seq: number): string {
  return `journal-${String(seq).padStart(16, "0")}.log`;
}

/** The journal's files in a directory listing. */
export interface JournalFiles {
  /** Segments, in sequence order. */
  readonly segments: ReadonlyArray<{ readonly seq: number; readonly name: string }>;
  /** Leftover compaction temp files (a crash before their rename): safe to delete. */
  readonly temporary: readonly string[];
  /** The highest sequence number in use, counting set-aside `.bad` segments; -1 when none. */
  readonly highestSeq: number;
}

/**
 * Picks the journal's files out of a directory listing; other names are left alone.
 *
 * @param names The entries of the journal directory.
 * @returns The segments in order, temp files, and the highest sequence number seen.
 * @example
 * ```ts
 * classifyFiles(await readdir(dir));
 * ```
 */
export function classifyFiles(names: readonly string[]): JournalFiles {
  const segments: Array<{ seq: number; name: string }> = [];
  const temporary: string[] = [];
  let highestSeq = -1;
  for (const name of names) {
    const match = SEGMENT.exec(name) ?? DAMAGED.exec(name);
    if (match) {
      const seq = Number(match[1]);
      highestSeq = Math.max(highestSeq, seq);
      if (name.endsWith(".log")) segments.push({ seq, name });
    } else if (TEMPORARY.test(name)) {
      temporary.push(name);
    }
  }
  segments.sort((a, b) => a.seq - b.seq);
  return { segments, temporary, highestSeq };
}

/**
 * Makes a directory's entries (files created, renamed or deleted in it) durable.
 *
 * A new segment is useless after a crash if its directory entry was lost, and a deletion that
 * comes back would resurrect acknowledged events; so every such change is followed by this.
 *
 * @param dir The directory.
 * @returns Once the directory is synced.
 * @example
 * ```ts
 * await rename(tmp, path);
 * await syncDirectory(dir);
 * ```
 */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } catch (error) {
    // Platforms that cannot fsync a directory (Windows) say so with one of these; there is nothing
    // more to do there. Any other error (EIO) is real.
    const code = (error as { code?: unknown }).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL" && code !== "ENOTSUP") throw error;
  } finally {
    await handle.close();
  }
}

export { writeFully } from "../lib/write-fully.ts";
