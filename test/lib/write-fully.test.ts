import assert from "node:assert/strict";
import type { FileHandle } from "node:fs/promises";
import { test } from "node:test";
import { writeFully } from "../../src/lib/write-fully.ts";

/** A file handle whose every write takes at most `step` bytes (a nearly full disk takes fewer than asked). */
function shortWrites(step: number): { handle: FileHandle; written: number[] } {
  const written: number[] = [];
  const handle = {
    write: async (data: Uint8Array, offset: number, length: number) => {
      const taken = Math.min(step, length);
      written.push(...data.subarray(offset, offset + taken));
      return { bytesWritten: taken, buffer: data };
    },
  } as unknown as FileHandle;
  return { handle, written };
}

test("writeFully() goes on writing until every byte is out, however few each write takes", async () => {
  const { handle, written } = shortWrites(3);
  const data = new TextEncoder().encode('{"reason":"invalid_event"}\n');
  await writeFully(handle, data);
  assert.deepEqual(Uint8Array.from(written), data);
});

test("writeFully() throws when a write makes no progress, rather than loop or report success", async () => {
  const { handle } = shortWrites(0);
  await assert.rejects(writeFully(handle, new Uint8Array([1, 2, 3])), /made no progress \(0 of 3 bytes written\)/);
});
