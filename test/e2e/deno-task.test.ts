// The relay as docs/deno.md runs it: with exactly deno.json's `start` permissions, restarted over
// the dead-letter file it wrote, and as `npm exec -- deno task start` under a supervisor's SIGTERM.
// Both start the Deno of node_modules/.bin, whichever runtime runs the tests.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { encodeForm, SEED_FIELDS } from "../../scripts/seed-event.ts";
import { startChildRelay, type ChildRelay } from "../support/child-relay.ts";
import { postSigned } from "../support/http.ts";
import { makeKeys } from "../support/keys.ts";
import { signalNpm, startNpmRelay } from "../support/npm-child.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const DENO = join(ROOT, "node_modules/.bin/deno");
const skip = process.env.TELNYX_RELAY_BIN ? "testing the binary" : !existsSync(DENO) ? "no node_modules/.bin/deno (npm ci)" : false;
const dir = mkdtempSync(join(tmpdir(), "telnyx-relay-deno-task-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const keys = makeKeys();

/** A signed refer-status callback that fails validation (its status is not one of the enum's): a dead letter. */
function invalidBody(note: string): string {
  return encodeForm([...SEED_FIELDS.map(([name, value]): [string, string] => [name, name === "ReferCallStatus" ? `bogus-${note}` : value])]);
}

/** deno.json's start task as `deno run` arguments, its permissions word for word (relative paths are the working directory's). */
function startTaskArgs(): string[] {
  const task = (JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")) as { tasks: { start: string } }).tasks.start.split(/\s+/);
  assert.equal(task[1], "run");
  return ["run", ...task.slice(2, -1), join(ROOT, task.at(-1) as string)];
}

async function stop(relay: ChildRelay): Promise<void> {
  relay.child.kill("SIGTERM");
  assert.deepEqual(await relay.exited, { code: 0, signal: null });
}

test("deno.json's permissions: after a restart over the dead-letter file it wrote, an invalid event is still kept and answered 400 (not 503)", { skip, timeout: 60_000 }, async () => {
  // The default dead-letter file, relative to the working directory, as deno.json grants it.
  const cwd = mkdtempSync(join(dir, "restart-"));
  const start = (): Promise<ChildRelay> => startChildRelay({ command: { command: DENO, args: startTaskArgs() }, cwd, env: { TELNYX_PUBLIC_KEY: keys.portalKey, NO_COLOR: "1" } });
  const file = join(cwd, "telnyx-relay-dead-letter.jsonl");

  const first = await start();
  try {
    assert.equal((await postSigned(first.url, keys.privateKey, invalidBody("first"))).status, 400);
  } finally {
    await stop(first);
  }
  const written = statSync(file).size;
  assert.ok(written > 0, "the first run kept its dead letter");

  const second = await start();
  try {
    const answer = await postSigned(second.url, keys.privateKey, invalidBody("second"));
    assert.equal(answer.status, 400, `${answer.text} ${JSON.stringify(second.logs)}`);
    // Read back at open: the first run's record is recognised, not written again.
    assert.equal((await postSigned(second.url, keys.privateKey, invalidBody("first"))).status, 400);
  } finally {
    await stop(second);
  }
  const lines = readFileSync(file, "utf8").trim().split("\n");
  assert.deepEqual(lines.map((line) => /bogus-(\w+)/.exec(line)?.[1]), ["first", "second"]);
  assert.ok(!second.logs.some((entry) => entry.level === "error"), JSON.stringify(second.logs));
});

test("`npm exec -- deno task start` (docs/deno.md's first form): SIGTERM to npm stops the relay, exit status 0", { skip, timeout: 60_000 }, async () => {
  // deno task runs in deno.json's directory: the relay's default dead-letter file is the clone's
  // (ignored by git). It is made at start-up under Deno; removed again if this test made it.
  const deadLetter = join(ROOT, "telnyx-relay-dead-letter.jsonl");
  const existed = existsSync(deadLetter);
  try {
    const relay = await startNpmRelay(ROOT, ["exec", "--", "deno", "task", "start", "--host", "127.0.0.1", "--port", "0"], { TELNYX_PUBLIC_KEY: keys.portalKey, NO_COLOR: "1" });
    // Without the fix npm exits at once, and the relay is left running, orphaned.
    assert.deepEqual(await signalNpm(relay, "SIGTERM"), [0, null], "npm exits 0, as the relay did");
  } finally {
    if (!existed && existsSync(deadLetter) && statSync(deadLetter).size === 0) rmSync(deadLetter);
  }
});
