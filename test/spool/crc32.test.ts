import assert from "node:assert/strict";
import { test } from "node:test";
import { crc32 } from "../../src/spool/crc32.ts";

const text = (value: string): Uint8Array => new TextEncoder().encode(value);

test("crc32() gives the standard check value 0xCBF43926 for \"123456789\"", () => {
  assert.equal(crc32(text("123456789")), 0xcbf43926);
});

test("crc32() of no bytes is 0, and of known strings matches zlib", () => {
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(text("a")), 0xe8b7be43);
  assert.equal(crc32(text("The quick brown fox jumps over the lazy dog")), 0x414fa339);
  assert.equal(crc32(new Uint8Array(32)), 0x190a55ad);
});

test("crc32() changes when any single bit of the input flips", () => {
  const data = text('{"t":"e","id":"evt-1","at":1000,"json":"{}"}');
  const original = crc32(data);
  for (let i = 0; i < data.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const copy = data.slice();
      copy[i]! ^= 1 << bit;
      assert.notEqual(crc32(copy), original, `byte ${i} bit ${bit}`);
    }
  }
});
