import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, test } from "node:test";
import { splitLines } from "../../src/lib/split-lines.ts";

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
