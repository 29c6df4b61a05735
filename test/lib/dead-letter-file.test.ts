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
const invalid = (body: string, at = 1): Extract<DeadLetter, { reason: "invalid_event" }> => ({
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
    assert.deepEqual(file.stats(), { bytes: statSync(path).size, kept: { invalid_event: 2, downstream_rejected: 0 }, duplicates: 1, refused: 2 });
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

  test("a record a crash cut short is cut off at open: the next record is a line of its own, and every line is a record", async () => {
    const path = freshPath();
    const whole = `${JSON.stringify(invalid("a=1"))}\n`;
    // kill -9 while a large record was being written: the file ends in the middle of it.
    const torn = JSON.stringify(invalid(`a=${"x".repeat(64 * 1024)}`, 2)).slice(0, 40 * 1024);
    writeFileSync(path, whole + torn);
    const warnings: string[] = [];
    const file = createDeadLetterFile(path, { onWarning: (message) => void warnings.push(message) });
    assert.equal(await file.append(invalid("a=2")), "kept");
    assert.deepEqual(records(path).map((record) => (record as { body: string }).body), ["a=1", "a=2"], "no line is a fragment glued to a record");
    assert.equal(await file.append(invalid("a=1", 3)), "duplicate", "what was whole is still read back");
    assert.deepEqual(warnings, ["dead-letter file: removed a record cut short (a crash while it was written)"]);
    assert.equal(file.stats().bytes, statSync(path).size);
    await file.close();
  });

  test("a whole record missing only its final line break (written by hand) is kept, and ended with one", async () => {
    const path = freshPath();
    writeFileSync(path, JSON.stringify(invalid("a=1")));
    const file = createDeadLetterFile(path);
    assert.equal(await file.append(invalid("a=2")), "kept");
    assert.deepEqual(records(path).map((record) => (record as { body: string }).body), ["a=1", "a=2"]);
    await file.close();
  });

  test("one body with another Content-Type or on another TeXML kind's path is another dead letter: replay decodes and validates it differently", async () => {
    const file = createDeadLetterFile(freshPath());
    const body = '{"data":{"event_type":"call.hangup"}}';
    assert.equal(await file.append({ ...invalid(body), contentType: "application/json" }), "kept");
    assert.equal(await file.append({ ...invalid(body, 2), contentType: "application/x-www-form-urlencoded" }), "kept");
    assert.equal(await file.append({ ...invalid(body, 3), contentType: "application/json" }), "duplicate");
    assert.equal(await file.append({ ...invalid("CallSid=1", 4), texmlKind: "gather" }), "kept");
    assert.equal(await file.append({ ...invalid("CallSid=1", 5), texmlKind: "http_request" }), "kept");
    assert.equal(await file.append({ ...invalid("CallSid=1", 6), texmlKind: "gather" }), "duplicate");
    assert.equal(records(file.path).length, 4);
    await file.close();
  });

  test("a write the disk does not confirm within timeoutMs is answered late; it goes on, and a redelivery is a duplicate once it is on disk", { timeout: 10_000 }, async () => {
    let releaseDisk: () => void = () => {};
    const disk = new Promise<void>((resolve) => {
      releaseDisk = resolve;
    });
    const file = createDeadLetterFile(freshPath(), { timeoutMs: 50, datasync: (flush) => disk.then(flush) });
    assert.equal(file.overdue(), false);
    assert.equal(await file.append(invalid("a=1")), "late");
    assert.equal(file.overdue(), true, "the disk hangs: not ready");
    assert.equal(await file.append(invalid("a=1", 2)), "late", "the redelivery waits behind the first write: not a duplicate before it is on disk");
    releaseDisk();
    while (file.overdue()) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(await file.append(invalid("a=1", 3)), "duplicate");
    assert.equal(records(file.path).length, 1);
    assert.deepEqual(file.stats().kept, { invalid_event: 1, downstream_rejected: 0 });
    await file.close();
  });
});
