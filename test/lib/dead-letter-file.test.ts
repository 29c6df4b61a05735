import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { createDeadLetterFile, DEAD_LETTER_MAX_BYTES, type DeadLetter } from "../../src/lib/dead-letter-file.ts";

const dir = mkdtempSync(join(tmpdir(), "telnyx-relay-dead-letter-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const freshPath = (): string => join(dir, `dead-${++files}.jsonl`);

/** A signed invalid delivery, as the relay core writes it; `at` stands for a new timestamp and signature. */
const invalid = (body: string, at = 1): DeadLetter => ({
  receivedAt: new Date(1_795_420_800_000 + at * 1000).toISOString(),
  reason: "invalid_event",
  detail: "ReferCallStatus \"ringing\" is not one of failed, in-progress, busy, canceled, no-answer",
  headers: { "telnyx-timestamp": String(1_795_420_800 + at), "telnyx-signature-ed25519": `signature-${at}` },
  body,
});
const refused = (event: string, at = 1): DeadLetter => ({
  receivedAt: new Date(1_795_420_800_000 + at * 1000).toISOString(),
  reason: "downstream_rejected",
  detail: "the downstream answered 422; not retried",
  id: "0123456789abcdef0123456789abcdef",
  response: { status: 422, bodyExcerpt: "no" },
  event,
});
const lineBytes = (record: DeadLetter): number => Buffer.byteLength(`${JSON.stringify(record)}\n`);
const records = (path: string): DeadLetter[] =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as DeadLetter);

describe("the dead-letter file", () => {
  test("the default bound is at most 64 MiB", () => {
    assert.ok(DEAD_LETTER_MAX_BYTES > 0 && DEAD_LETTER_MAX_BYTES <= 64 * 1024 * 1024);
  });

  test("a record is appended as one JSON line and flushed: kept", async () => {
    const file = createDeadLetterFile(freshPath());
    assert.equal(await file.append(invalid("a=1")), "kept");
    assert.deepEqual(records(file.path), [invalid("a=1")]);
    assert.equal(file.stats().bytes, statSync(file.path).size);
    await file.close();
  });

  test("the same delivery again (same reason and raw body, signed anew) is not written again: duplicate, and write() is true", async () => {
    const file = createDeadLetterFile(freshPath());
    assert.equal(await file.append(invalid("a=1", 1)), "kept");
    assert.equal(await file.append(invalid("a=1", 2)), "duplicate");
    assert.equal(await file.write(invalid("a=1", 3)), true);
    assert.equal(await file.append(invalid("a=2", 4)), "kept", "another body is another record");
    const base64: DeadLetter = { receivedAt: "2026-11-29T00:00:00.000Z", reason: "invalid_event", detail: "d", headers: { "telnyx-timestamp": "5", "telnyx-signature-ed25519": "s" }, bodyBase64: "YT0x" };
    assert.equal(await file.append(base64), "kept", "base64 is not text");
    assert.equal(await file.append(refused("{\"id\":\"e\"}")), "kept");
    assert.equal(await file.append(refused("{\"id\":\"e\"}", 9)), "duplicate", "an event refused again");
    assert.equal(records(file.path).length, 4);
    assert.equal(file.stats().duplicates, 3);
    await file.close();
  });

  test("what the file holds is read back when it is opened: a record from a previous run is a duplicate", async () => {
    const path = freshPath();
    const first = createDeadLetterFile(path);
    assert.equal(await first.append(invalid("a=1")), "kept");
    assert.equal(await first.append(refused("{}")), "kept");
    await first.close();
    // A line cut short by a crash is skipped, not fatal.
    writeFileSync(path, "{\"receivedAt\":\"2026", { flag: "a" });
    const second = createDeadLetterFile(path);
    assert.equal(await second.append(invalid("a=1", 7)), "duplicate");
    assert.equal(await second.append(refused("{}", 7)), "duplicate");
    await second.close();
  });

  test("a record that would take the file past its bound is refused (full), and the file keeps what it had", async () => {
    const path = freshPath();
    const one = lineBytes(invalid("a=1"));
    const file = createDeadLetterFile(path, { maxBytes: 2 * one + 10 });
    assert.equal(await file.append(invalid("a=1")), "kept");
    assert.equal(await file.append(invalid("a=2")), "kept");
    assert.equal(await file.append(invalid("a=3")), "full");
    assert.equal(await file.write(invalid("a=3")), false);
    assert.equal(await file.append(invalid("a=1", 9)), "duplicate", "a record already there is still recognised");
    assert.deepEqual(records(path).map((record) => (record as { body: string }).body), ["a=1", "a=2"]);
    assert.ok(statSync(path).size <= 2 * one + 10);
    assert.deepEqual(file.stats(), { bytes: statSync(path).size, duplicates: 1, refused: 2 });
    await file.close();
  });

  test("a file already at its bound when opened refuses new records", async () => {
    const path = freshPath();
    writeFileSync(path, `${"x".repeat(100)}\n`);
    const file = createDeadLetterFile(path, { maxBytes: 100 });
    assert.equal(await file.append(invalid("a=1")), "full");
    assert.equal(file.stats().bytes, 101);
    await file.close();
  });

  test("moving the full file away (or truncating it) makes room: the next record starts a new file at the path", async () => {
    const path = freshPath();
    const one = lineBytes(invalid("a=1"));
    const file = createDeadLetterFile(path, { maxBytes: one + 10 });
    assert.equal(await file.append(invalid("a=1")), "kept");
    assert.equal(await file.append(invalid("a=2")), "full");
    renameSync(path, `${path}.1`);
    assert.equal(await file.append(invalid("a=2")), "kept");
    assert.deepEqual(records(path).map((record) => (record as { body: string }).body), ["a=2"]);
    assert.deepEqual(records(`${path}.1`).map((record) => (record as { body: string }).body), ["a=1"]);
    assert.equal(await file.append(invalid("a=1")), "full", "the moved file's records are no longer known; the new file is full");
    truncateSync(path, 0);
    assert.equal(await file.append(invalid("a=3")), "kept");
    assert.deepEqual(records(path).map((record) => (record as { body: string }).body), ["a=3"]);
    assert.equal(file.stats().bytes, statSync(path).size);
    await file.close();
  });

  test("a file that cannot be written: failed (write() false), and it is tried afresh at the next record", async () => {
    const sub = join(dir, `missing-${++files}`);
    const file = createDeadLetterFile(join(sub, "dead.jsonl"));
    assert.equal(await file.append(invalid("a=1")), "failed");
    assert.equal(await file.write(invalid("a=1")), false);
    mkdirSync(sub);
    assert.equal(await file.append(invalid("a=1")), "kept");
    await file.close();
  });

  test("the records remembered for duplicates are bounded: past the bound, the oldest are forgotten", async () => {
    const file = createDeadLetterFile(freshPath(), { maxRemembered: 2 });
    for (const body of ["a=1", "a=2", "a=3"]) assert.equal(await file.append(invalid(body)), "kept");
    assert.equal(await file.append(invalid("a=3", 2)), "duplicate");
    assert.equal(await file.append(invalid("a=1", 2)), "kept", "forgotten, so written again");
    await file.close();
  });

  test("the stress test's flood: 200 replays of one signed 200 KB invalid delivery make one record", async () => {
    const file = createDeadLetterFile(freshPath());
    const body = `AccountSid=${"x".repeat(200 * 1024)}`;
    const results = await Promise.all(Array.from({ length: 200 }, (_, at) => file.append(invalid(body, at))));
    assert.deepEqual(results.filter((result) => result === "kept").length, 1);
    assert.equal(records(file.path).length, 1);
    assert.ok(statSync(file.path).size < 210 * 1024);
    await file.close();
  });
});
