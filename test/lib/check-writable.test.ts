import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { checkWritable } from "../../src/lib/check-writable.ts";

const dir = mkdtempSync(join(tmpdir(), "telnyx-relay-writable-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("checkWritable() accepts a missing file in a writable directory without creating it", () => {
  const path = join(dir, "dead.jsonl");
  assert.equal(checkWritable(path), undefined);
  assert.equal(existsSync(path), false);
});

test("checkWritable() accepts an existing file, leaving its content", () => {
  const path = join(dir, "kept.jsonl");
  writeFileSync(path, "line\n");
  assert.equal(checkWritable(path), undefined);
});

test("checkWritable() refuses a file in a missing directory, and a directory", () => {
  assert.match(checkWritable(join(dir, "no/such/dir/dead.jsonl")) ?? "", /^ENOENT/);
  assert.equal(checkWritable(dir), "EISDIR");
});
