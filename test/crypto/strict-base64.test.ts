import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, test } from "node:test";

import { decodeStrictBase64 } from "../../src/crypto/strict-base64.ts";

describe("decodeStrictBase64", () => {
  const accepted: ReadonlyArray<readonly [string, string, number, readonly number[]]> = [
    ["the empty string as 0 bytes", "", 0, []],
    ["one byte with == padding", "AA==", 1, [0]],
    ["two bytes with = padding", "AAE=", 2, [0, 1]],
    ["three bytes without padding", "AAAA", 3, [0, 0, 0]],
    ["+ and / of the standard alphabet", "+/8=", 2, [0xfb, 0xff]],
    ["all 0xff bytes", "////", 3, [0xff, 0xff, 0xff]],
    ["six bytes in two groups", "AQIDBAUG", 6, [1, 2, 3, 4, 5, 6]],
  ];
  for (const [name, text, length, bytes] of accepted) {
    test(`decodeStrictBase64() decodes ${name}`, () => {
      const decoded = decodeStrictBase64(text, length);
      assert.ok(decoded instanceof Uint8Array);
      assert.deepEqual([...decoded], bytes);
    });
  }

  test("decodeStrictBase64() round-trips every length from 0 to 70 bytes of random-looking data", () => {
    for (let length = 0; length <= 70; length++) {
      const bytes = Buffer.from(Array.from({ length }, (_, i) => (i * 89 + length * 7 + 13) & 0xff));
      assert.deepEqual(decodeStrictBase64(bytes.toString("base64"), length), bytes, String(length));
      // The twin: the same text with the wrong expected length is refused.
      assert.equal(decodeStrictBase64(bytes.toString("base64"), length + 1), undefined, String(length));
    }
  });

  const refused: ReadonlyArray<readonly [string, string, number]> = [
    ["non-zero unused bits after one byte", "AB==", 1],
    ["non-zero unused bits after two bytes", "AAF=", 2],
    ["a missing = of padding", "AAE", 2],
    ["missing == padding", "AA", 1],
    ["one = where two are needed", "AA=", 1],
    ["extra padding", "AAE==", 2],
    ["padding in the middle", "AA==AAAA", 4],
    ["padding at the start", "=AAE", 2],
    ["= inside a group", "AA=E", 2],
    ["the URL-safe - character", "-_8=", 2],
    ["the URL-safe _ character", "A_8=", 2],
    ["a space inside", "AA E", 3],
    ["a leading space", " AAAA", 3],
    ["a trailing newline", "AAAA\n", 3],
    ["a newline between groups", "AAAA\nAAAA", 6],
    ["a tab", "AA\tA", 3],
    ["a character outside the alphabet", "AA*A", 3],
    ["a non-ASCII letter", "AAÁA", 3],
    ["a full-width letter", "ＡＡＡＡ", 3],
    ["a NUL byte", "AA\0A", 3],
    ["too few bytes for the length asked", "AAAA", 4],
    ["too many bytes for the length asked", "AAAAAAAA", 5],
    ["fewer bytes than asked in the right number of characters", "AAE=", 3],
    ["more bytes than asked in the right number of characters", "AAAA", 2],
    ["any text when 0 bytes are asked", "AA==", 0],
  ];
  for (const [name, text, length] of refused) {
    test(`decodeStrictBase64() refuses ${name}`, () => {
      assert.equal(decodeStrictBase64(text, length), undefined);
    });
  }

  test("decodeStrictBase64() refuses spellings that Node's own decoder accepts as the same bytes", () => {
    // Each of these decodes leniently to [0, 1]: only "AAE=" is accepted.
    for (const text of ["AAF=", "AAE", "AA E=", "AAE=\n", "AAE=AA"]) {
      assert.deepEqual(Buffer.from(text, "base64"), Buffer.from([0, 1]), JSON.stringify(text));
      assert.equal(decodeStrictBase64(text, 2), undefined, JSON.stringify(text));
    }
    assert.deepEqual(decodeStrictBase64("AAE=", 2), Buffer.from([0, 1]));
  });
});
