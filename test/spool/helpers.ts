// Shared by the spool tests: temp directories, events, and reading segment files back.
import { readdirSync, statSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestContext } from "node:test";
import type { JournalOptions, SpooledEvent } from "../../src/spool/journal.ts";
import { parseSegment, type JournalRecord } from "../../src/spool/record.ts";

/** A fresh directory under the OS temp dir, removed when the test ends. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "telnyx-relay-spool-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Event number `n`, with a body of about `pad` bytes. */
export function event(n: number, acceptedAt = 1_000, pad = 40): SpooledEvent {
  return { id: `evt-${String(n).padStart(4, "0")}`, json: JSON.stringify({ n, data: "x".repeat(pad) }), acceptedAt };
}

/** A settable clock. */
export function clock(start: number): { now: () => number; set(ms: number): void } {
  let time = start;
  return {
    now: () => time,
    set(ms) {
      time = ms;
    },
  };
}

/** An error as the file system gives it, e.g. `fsError("ENOSPC")`. */
export function fsError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

/**
 * A disk of `capacity` bytes holding only `dir`, for the journal's `beforeWrite` hook: a write that
 * would take the files in `dir` past it fails with ENOSPC (creating an empty file still works, as
 * on a tmpfs with inodes to spare). `capacity` may be changed as the test goes.
 */
export function smallDisk(dir: string, capacity: number): { capacity: number; used(): number; beforeWrite: NonNullable<JournalOptions["beforeWrite"]> } {
  const disk = {
    capacity,
    // A file may be renamed or deleted between the listing and its stat (a compaction's temp file).
    used: () => readdirSync(dir).reduce((sum, name) => sum + (statSync(join(dir, name), { throwIfNoEntry: false })?.size ?? 0), 0),
    beforeWrite: (_operation: string, _path: string, bytes: number): void => {
      if (bytes > 0 && disk.used() + bytes > disk.capacity) throw fsError("ENOSPC");
    },
  };
  return disk;
}

/** Options with test defaults: no size pressure, no dedup window, warnings collected. */
export function options(dir: string, warnings: Array<{ message: string; fields: Record<string, unknown> }>, overrides: Partial<JournalOptions> = {}): JournalOptions {
  return {
    dir,
    maxBytes: 64 * 1024 * 1024,
    dedupWindowMs: 0,
    now: () => 1_000,
    onWarning: (message, fields) => warnings.push({ message, fields }),
    ...overrides,
  };
}

/** The journal's segment files in `dir`, in sequence order. */
export async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => /^journal-\d{16}\.log$/.test(name)).sort();
}

/** The records of one segment file (asserting it is undamaged). */
export async function recordsOf(path: string): Promise<JournalRecord[]> {
  const parsed = parseSegment(await readFile(path));
  if (parsed.damage) throw new Error(`${path} is damaged at ${parsed.damage.offset}: ${parsed.damage.reason}`);
  return parsed.records.map(({ record }) => record);
}

/** Ids of a list of events. */
export function ids(events: readonly SpooledEvent[]): string[] {
  return events.map((spooled) => spooled.id);
}
