// kill -9 in the middle of appends, acks, rotation and compaction: every append that had resolved
// (and was not acknowledged) must be pending after a reopen.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { openJournal } from "../../src/spool/journal.ts";
import { tempDir } from "./helpers.ts";

const WRITER = fileURLToPath(new URL("./fixtures/crash-writer.ts", import.meta.url));

interface Run {
  readonly ok: Set<string>;
  readonly acked: Set<string>;
  readonly warnings: string[];
  readonly signal: string | null;
}

/** Starts the writer, waits until it has printed `killAfter` ok lines, then SIGKILLs it. */
async function runAndKill(dir: string, run: number, killAfter: number): Promise<Run> {
  const child = spawn(process.execPath, [WRITER, dir, String(run)], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = once(child, "exit");
  const ok = new Set<string>();
  const acked = new Set<string>();
  const warnings: string[] = [];
  // readline yields only whole lines: a line cut by the kill is not counted.
  for await (const line of createInterface({ input: child.stdout })) {
    const [kind, rest = ""] = [line.slice(0, line.indexOf(" ")), line.slice(line.indexOf(" ") + 1)];
    if (kind === "ok") ok.add(rest);
    else if (kind === "ack") acked.add(rest);
    else if (kind === "warn") warnings.push(rest);
    if (ok.size === killAfter) child.kill("SIGKILL");
  }
  const [code, signal] = (await exited) as [number | null, string | null];
  assert.equal(code, null, "the writer was killed, it did not exit by itself");
  return { ok, acked, warnings, signal };
}

test("after SIGKILL mid-stream, every append that resolved and was not acknowledged is recovered, across three crashes", async (t) => {
  const dir = await tempDir(t);
  const mustSurvive = new Set<string>();
  const everOk = new Set<string>();
  for (const [run, killAfter] of [
    [1, 3_000],
    [2, 1_200],
    [3, 5_000],
  ] as const) {
    const result = await runAndKill(dir, run, killAfter);
    assert.equal(result.signal, "SIGKILL");
    assert.ok(result.ok.size >= killAfter);
    for (const id of result.ok) {
      everOk.add(id);
      if (!result.acked.has(id)) mustSurvive.add(id);
    }
    // Only a torn tail is expected from a crash; a segment set aside would mean a bug.
    for (const warning of result.warnings) assert.match(warning, /torn tail truncated/);
  }

  const warnings: string[] = [];
  const journal = await openJournal({ dir, maxBytes: 64 * 1024 * 1024, dedupWindowMs: 60_000, now: Date.now, onWarning: (message) => warnings.push(message) });
  const recovered = journal.recovered.map((event) => event.id);
  assert.equal(new Set(recovered).size, recovered.length, "no event recovered twice");
  const recoveredSet = new Set(recovered);
  const missing = [...mustSurvive].filter((id) => !recoveredSet.has(id));
  assert.deepEqual(missing, [], `${missing.length} of ${mustSurvive.size} resolved, unacknowledged appends were lost`);
  // Anything else recovered is an acked event whose ack was not yet durable, or an append that had
  // not resolved yet: never an id the writers did not append.
  for (const id of recovered) assert.match(id, /^r[123]-\d+$/);
  for (const event of journal.recovered) assert.deepEqual(Object.keys(JSON.parse(event.json) as object), ["run", "n", "pad"]);
  // Every resolved append, acknowledged or not, is still remembered for deduplication.
  for (const id of everOk) assert.ok(journal.recentIds.has(id), `${id} in recentIds`);
  assert.deepEqual(warnings.filter((message) => !/torn tail/.test(message)), []);
  await journal.close();
});
