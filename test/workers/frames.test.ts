import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, test } from "node:test";
import { decodePrimaryFrame, decodeWorkerFrame, encodePrimaryFrame, encodeWorkerFrame, splitLines, type PrimaryFrame, type WorkerFrame } from "../../src/workers/frames.ts";

const event = { id: "0123456789abcdef0123456789abcdef", json: JSON.stringify({ id: "x", data: { Note: "a b\nc \u2028 ü 😀" } }) };

describe("worker frames", () => {
  const workerFrames: WorkerFrame[] = [{ kind: "event", seq: 1, event }, { kind: "event", seq: 2 ** 40, event: { id: "other-id", json: "{}" } }, { kind: "listening" }];
  for (const frame of workerFrames) {
    test(`a worker's ${frame.kind} frame is one line and decodes to itself`, () => {
      const line = encodeWorkerFrame(frame);
      assert.equal(line.indexOf("\n"), line.length - 1);
      assert.deepEqual(decodeWorkerFrame(line.slice(0, -1)), frame);
    });
  }

  const primaryFrames: PrimaryFrame[] = [
    { kind: "answer", seq: 7, outcome: { ok: true } },
    { kind: "answer", seq: 8, outcome: "duplicate" },
    { kind: "answer", seq: 9, outcome: { ok: false, reason: "spool_full", detail: "the spool is full (64 MiB)\nsecond line" } },
    { kind: "ready", ready: true },
    { kind: "ready", ready: false },
  ];
  for (const frame of primaryFrames) {
    test(`the primary's ${JSON.stringify(frame)} is one line and decodes to itself`, () => {
      const line = encodePrimaryFrame(frame);
      assert.equal(line.indexOf("\n"), line.length - 1);
      assert.deepEqual(decodePrimaryFrame(line.slice(0, -1)), frame);
    });
  }

  for (const line of ["", "E", "E 1", "E x id {}", "L ", "Z 1"]) {
    test(`${JSON.stringify(line)} is not a worker frame`, () => assert.equal(decodeWorkerFrame(line), undefined));
  }
  for (const line of ["", "A", "A x", "R 2", 'X 1 {"reason":"made_up","detail":"d"}', "X 1 not json", "X 1", 'X 1 {"reason":"spool_full"}']) {
    test(`${JSON.stringify(line)} is not a primary frame`, () => assert.equal(decodePrimaryFrame(line), undefined));
  }
});

describe("splitLines()", () => {
  test("gives whole lines whatever the chunking, a UTF-8 character cut between chunks included", () => {
    const text = "first 😀 line\nsecond ü\n\nfourth\n";
    const bytes = Buffer.from(text);
    for (let size = 1; size <= bytes.length; size++) {
      const lines: string[] = [];
      const feed = splitLines((line) => lines.push(line));
      for (let at = 0; at < bytes.length; at += size) feed(bytes.subarray(at, at + size));
      assert.deepEqual(lines, ["first 😀 line", "second ü", "", "fourth"], `chunks of ${size}`);
    }
  });

  test("keeps a line without its newline until the newline comes", () => {
    const lines: string[] = [];
    const feed = splitLines((line) => lines.push(line));
    feed(Buffer.from("partial"));
    assert.deepEqual(lines, []);
    feed(Buffer.from(" end\n"));
    assert.deepEqual(lines, ["partial end"]);
  });
});

describe("splitLines() with a long line", () => {
  test("a 32 MiB line in 64 KiB chunks comes out whole", () => {
    const line = "x".repeat(32 << 20);
    const bytes = Buffer.from(`${line}\nnext\n`);
    const lines: string[] = [];
    const feed = splitLines((text) => lines.push(text));
    for (let at = 0; at < bytes.length; at += 65_536) feed(bytes.subarray(at, at + 65_536));
    assert.equal(lines.length, 2);
    assert.equal(lines[0]?.length, line.length);
    assert.equal(lines[1], "next");
  });
});
