// Disk faults, for real. A dead-letter file a crash cut off in the middle of a record. And a hung disk: the relay as a child process under `strace -f -e inject=fdatasync:delay_enter=…`,
// so every fdatasync it makes (the spool's commits, the dead-letter file's records) takes seconds, as on a
// dead NFS mount or a dying device. Requests must still be answered within --sink-timeout, /readyz
// must say not ready, and nothing may be lost: the late writes go on, and Telnyx's redeliveries find them.
// Where strace is missing the test skips, naming it; with CI=true it fails instead.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, describe, test } from "node:test";
import { encodeForm, SEED_BODY, SEED_FIELDS } from "../../scripts/seed-event.ts";
import { relayCommand, runRelay, startChildRelay, type ChildRelay } from "../support/child-relay.ts";
import { startDownstream } from "../support/downstream.ts";
import { outcomeOf, postSigned } from "../support/http.ts";
import { makeKeys } from "../support/keys.ts";

const STRACE = ["/usr/bin/strace", "/bin/strace", "/usr/local/bin/strace"].find((path) => spawnSync(path, ["-V"], { stdio: "ignore" }).status === 0);

/**
 * The `skip` option: false when strace is here and may trace (ptrace can be forbidden, e.g. in a
 * container without CAP_SYS_PTRACE); else a message naming why. With CI=true either is an error.
 */
function straceSkip(): string | false {
  let reason: string | undefined;
  if (STRACE === undefined) reason = "strace is not installed (Debian: apt-get install strace)";
  else if (spawnSync(STRACE, ["-f", "-qq", "-o", "/dev/null", "-e", "trace=fdatasync", "true"], { stdio: "ignore" }).status !== 0) reason = "strace cannot trace here (ptrace not permitted)";
  if (reason === undefined) return false;
  if (process.env.CI === "true") throw new Error(`${reason}, and CI=true: the hung-disk test must run in CI`);
  return `${reason}: the hung-disk test skipped`;
}

// Every fdatasync takes this long; the relay's deadline is far shorter.
const DISK_DELAY = "4s";
const SINK_TIMEOUT = "500ms";

const keys = makeKeys();
const root = mkdtempSync(join(tmpdir(), "telnyx-relay-hung-disk-"));
after(() => rmSync(root, { recursive: true, force: true }));

const INVALID_BODY = encodeForm(SEED_FIELDS.map(([name, value]): [string, string] => [name, name === "ReferCallStatus" ? "ringing" : value]));

describe("a disk whose fdatasync hangs (strace fault injection)", () => {
  test("spooled: each request is answered 503 at --sink-timeout, /readyz says not ready, and the late write is delivered once, its redelivery a duplicate", { skip: straceSkip(), timeout: 60_000 }, async () => {
    const downstream = await startDownstream();
    const { command, args } = relayCommand();
    const deadLetterFile = join(root, "dead.jsonl");
    const relay = await startChildRelay({
      command: { command: STRACE!, args: ["-f", "-qq", "--seccomp-bpf", "-o", "/dev/null", "-e", "trace=fdatasync", "-e", `inject=fdatasync:delay_enter=${DISK_DELAY}`, command, ...args] },
      env: { TELNYX_PUBLIC_KEY: keys.portalKey },
      args: ["--dead-letter-file", deadLetterFile, "--forward-url", downstream.url, "--spool-dir", join(root, "spool"), "--sink-timeout", SINK_TIMEOUT],
    });
    const readyz = async (): Promise<number> => (await fetch(`http://127.0.0.1:${relay.port}/readyz`)).status;
    try {
      assert.equal(await readyz(), 200);
      const first = await postSigned(relay.url, keys.privateKey, SEED_BODY);
      assert.equal(first.status, 503, first.text);
      assert.deepEqual(JSON.parse(first.text), { error: "sink_unavailable", message: `the spool's disk did not confirm the write within ${SINK_TIMEOUT.replace("ms", "")} ms` });
      assert.equal(await readyz(), 503, "not ready while the commit is overdue");
      // Telnyx's redelivery while the first copy is still not on disk: not a duplicate yet, not a second copy.
      assert.equal((await postSigned(relay.url, keys.privateKey, SEED_BODY)).status, 503);
      // The late commit hands the event on.
      await downstream.waitFor(1);
      const again = await postSigned(relay.url, keys.privateKey, SEED_BODY);
      assert.equal(again.status, 200, again.text);
      assert.equal(outcomeOf(again).status, "duplicate", "on disk now: the redelivery is a duplicate");
      assert.equal(downstream.received.length, 1, "forwarded once");
      assert.ok(relay.logs.some((entry) => entry.message === "spool: the disk did not confirm a write in time; answering 503 until it does"));

      // The dead-letter file's writes too: 503 dead_letter_unavailable at the deadline, and the
      // record is kept once its write is done; a redelivery is then the 400 it always was.
      const invalid = await postSigned(relay.url, keys.privateKey, INVALID_BODY);
      assert.equal(invalid.status, 503, invalid.text);
      assert.equal(JSON.parse(invalid.text).error, "dead_letter_unavailable");
      // Telnyx's redeliveries: each waits behind the first write, at most --sink-timeout, until it is on disk.
      let redelivered = 503;
      for (let tries = 0; tries < 40 && redelivered === 503; tries++) redelivered = (await postSigned(relay.url, keys.privateKey, INVALID_BODY)).status;
      assert.equal(redelivered, 400);
      const lines = readFileSync(deadLetterFile, "utf8").split("\n").filter((line) => line !== "");
      assert.equal(lines.length, 1, "kept once");
      assert.equal(JSON.parse(lines[0]!).body, INVALID_BODY);
      // Once every write has settled, ready again (an ack's commit may still be in flight: wait for it).
      let ready = 503;
      for (let tries = 0; tries < 100 && ready !== 200; tries++) {
        ready = await readyz();
        if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(ready, 200);
    } finally {
      // The relay itself (its pid is in its `listening` line), not strace: a tracer killed leaves its tracee running.
      const pid = relay.logs.find((entry) => entry.message === "listening")?.pid;
      if (typeof pid === "number") process.kill(pid, "SIGKILL");
      await relay.exited;
      await downstream.close();
    }
  });
});

async function stopped(relay: ChildRelay): Promise<void> {
  if (relay.child.exitCode === null && relay.child.signalCode === null) relay.child.kill("SIGTERM");
  await relay.exited;
}

describe("a dead-letter file a crash cut short in the middle of a record", () => {
  test("the next relay cuts the fragment off: the next record is a line of its own, and replay --check reads every record", async () => {
    const file = join(root, "torn.jsonl");
    const args = ["--dead-letter-file", file, "--body-limit", "4MiB"];
    // A large invalid delivery kept by one relay…
    const large = encodeForm(SEED_FIELDS.map(([name, value]): [string, string] => [name, name === "ReferCallStatus" ? "ringing" : name === "CallSid" ? `v3:${"x".repeat(2 * 1024 * 1024)}` : value]));
    const first = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args });
    try {
      assert.equal((await postSigned(first.url, keys.privateKey, large)).status, 400);
    } finally {
      await stopped(first);
    }
    // …cut in its middle, as `kill -9` while it was being written leaves it.
    truncateSync(file, Math.floor(statSync(file).size / 2));
    const second = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args });
    try {
      const answer = await postSigned(second.url, keys.privateKey, INVALID_BODY);
      assert.equal(answer.status, 400, answer.text);
      assert.ok(second.logs.some((entry) => entry.message === "dead-letter file: removed a record cut short (a crash while it was written)"));
    } finally {
      await stopped(second);
    }
    const lines = readFileSync(file, "utf8").split("\n").filter((line) => line !== "");
    assert.deepEqual(lines.map((line) => (JSON.parse(line) as { body: string }).body), [INVALID_BODY], "no record glued to the fragment");
    const check = await runRelay(["replay", file, "--check"], { TELNYX_PUBLIC_KEY: keys.portalKey });
    assert.equal(check.code, 0, check.stderr);
    assert.match(check.stdout, /record 1: still invalid: /);
    assert.doesNotMatch(check.stdout, /not JSON/);
  });
});
