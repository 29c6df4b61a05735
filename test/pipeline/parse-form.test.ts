import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { parseForm } from "../../src/pipeline/parse-form.ts";
import { mulberry32 } from "../support/random.ts";

const encoder = new TextEncoder();

/** The UTF-8 bytes of a string, for tests that feed bytes rather than text. */
function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Bytes given by number, for input that is not valid UTF-8. */
function raw(...bytes: number[]): Uint8Array {
  return Uint8Array.from(bytes);
}

describe("parseForm", () => {
  test("parseForm() decodes a Telnyx REFER status callback body", () => {
    const body =
      "AccountSid=f5586561-8ff0-4291-a51b-c7dfe4139ff9" +
      "&CallSid=v3%3A9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ" +
      "&CallSidLegacy=v3%3A9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ" +
      "&ReferCallStatus=in-progress" +
      "&Timestamp=2024-01-15T10%3A30%3A00Z" +
      "&NotifySipResponseCode=200" +
      "&ReferSipResponseCode=202";
    const expected: Array<[string, string]> = [
      ["AccountSid", "f5586561-8ff0-4291-a51b-c7dfe4139ff9"],
      ["CallSid", "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ"],
      ["CallSidLegacy", "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ"],
      ["ReferCallStatus", "in-progress"],
      ["Timestamp", "2024-01-15T10:30:00Z"],
      ["NotifySipResponseCode", "200"],
      ["ReferSipResponseCode", "202"],
    ];
    assert.deepEqual(parseForm(body), expected);
    assert.deepEqual(parseForm(utf8(body)), expected);
  });

  test("parseForm() returns no pairs for empty input", () => {
    assert.deepEqual(parseForm(""), []);
    assert.deepEqual(parseForm(new Uint8Array(0)), []);
  });

  test("parseForm() turns + into a space but keeps %2B as +", () => {
    assert.deepEqual(parseForm("a+b=c+%2B+d"), [["a b", "c + d"]]);
    // + is replaced before percent-decoding, so %2B never becomes a space and "%+" stays a %.
    assert.deepEqual(parseForm("%2B=%+20"), [["+", "% 20"]]);
  });

  test("parseForm() decodes escapes in both cases of hex digit", () => {
    assert.deepEqual(parseForm("%3a%3A=%c3%A9%C3%a9"), [["::", "éé"]]);
  });

  test("parseForm() leaves an invalid escape such as %2; or %zz as it is", () => {
    assert.deepEqual(parseForm("a=%2;&b=%zz&c=%&d=%2&e=%%41&f=%g0"), [
      ["a", "%2;"],
      ["b", "%zz"],
      ["c", "%"],
      ["d", "%2"],
      ["e", "%A"],
      ["f", "%g0"],
    ]);
  });

  test("parseForm() does not let an escape run across the = between name and value", () => {
    assert.deepEqual(parseForm("%4=1"), [["%4", "1"]]);
    assert.deepEqual(parseForm("%=41"), [["%", "41"]]);
  });

  test("parseForm() keeps a non-ASCII character next to an invalid escape (where Node's URLSearchParams does not)", () => {
    // No & and no =, so the whole piece is the name. + becomes a space, then %2; is not an
    // escape and stays, %2B becomes +, and the raw UTF-8 of € decodes to €.
    assert.deepEqual(parseForm("+%2;%2B a€"), [[" %2;+ a€", ""]]);
    assert.deepEqual(parseForm(utf8("+%2;%2B a€")), [[" %2;+ a€", ""]]);
    assert.deepEqual(parseForm("%41%\u0141"), [["A%\u0141", ""]]);
  });

  test("parseForm() keeps a leading BOM as U+FEFF", () => {
    assert.deepEqual(parseForm(raw(0xef, 0xbb, 0xbf, 0x61, 0x3d, 0x62)), [["\uFEFFa", "b"]]);
    assert.deepEqual(parseForm("%EF%BB%BFa=%ef%bb%bf"), [["\uFEFFa", "\uFEFF"]]);
    assert.deepEqual(parseForm("\uFEFF=\uFEFF"), [["\uFEFF", "\uFEFF"]]);
  });

  test("parseForm() replaces invalid UTF-8 with U+FFFD", () => {
    // A lone continuation byte, a truncated sequence, C0 and FF, an overlong NUL and an encoded
    // surrogate; each maximal invalid subpart gives one U+FFFD (Encoding Standard).
    assert.deepEqual(parseForm(raw(0x80, 0x3d, 0xe2, 0x82, 0x26, 0xc0, 0xff, 0x3d, 0xc0, 0x80, 0xed, 0xa0, 0x80)), [
      ["\uFFFD", "\uFFFD"],
      ["\uFFFD\uFFFD", "\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD"],
    ]);
    assert.deepEqual(parseForm("a=%E2%82&b=%F0%9F%98%80%F0%9F&c=%ED%A0%80"), [
      ["a", "\uFFFD"],
      ["b", "😀\uFFFD"],
      ["c", "\uFFFD\uFFFD\uFFFD"],
    ]);
  });

  test("parseForm() decodes raw and escaped multi-byte UTF-8 alike", () => {
    assert.deepEqual(parseForm("€=%E2%82%AC&😀=%F0%9F%98%80&é=%C3%A9"), [
      ["€", "€"],
      ["😀", "😀"],
      ["é", "é"],
    ]);
    // Half of a sequence raw and half escaped is still one sequence: decoding happens on bytes.
    assert.deepEqual(parseForm(raw(0xe2, 0x25, 0x38, 0x32, 0x25, 0x41, 0x43)), [["€", ""]]);
  });

  test("parseForm() keeps order and duplicate names", () => {
    assert.deepEqual(parseForm("b=1&a=2&b=3&a=4"), [
      ["b", "1"],
      ["a", "2"],
      ["b", "3"],
      ["a", "4"],
    ]);
  });

  test("parseForm() skips empty pieces", () => {
    assert.deepEqual(parseForm("&&a=1&&&b=2&"), [
      ["a", "1"],
      ["b", "2"],
    ]);
    assert.deepEqual(parseForm("&"), []);
  });

  test("parseForm() reads a piece with no = as a name with an empty value", () => {
    assert.deepEqual(parseForm("flag&a=1&other+flag"), [
      ["flag", ""],
      ["a", "1"],
      ["other flag", ""],
    ]);
  });

  test("parseForm() reads =x as an empty name and = alone as an empty pair", () => {
    assert.deepEqual(parseForm("=x&=&a="), [
      ["", "x"],
      ["", ""],
      ["a", ""],
    ]);
  });

  test("parseForm() splits at the first = only, so a=b=c has value b=c", () => {
    assert.deepEqual(parseForm("a=b=c&d==&e=%3D="), [
      ["a", "b=c"],
      ["d", "="],
      ["e", "=="],
    ]);
  });

  test("parseForm() treats ; as an ordinary byte, not a separator", () => {
    assert.deepEqual(parseForm("a=1;b=2"), [["a", "1;b=2"]]);
  });

  test("parseForm() keeps a leading ? as part of the first name", () => {
    // The urlencoded parser has no special case for ?; only the URLSearchParams constructor
    // strips one from a string argument.
    assert.deepEqual(parseForm("?a=1"), [["?a", "1"]]);
  });

  test("parseForm() gives the same result for a string and for the same bytes as a Uint8Array", () => {
    const text = "name=J%C3%BCrgen+M%C3%BCller&city=Z\u00fcrich&emoji=\u{1F600}&bad=%FF";
    assert.deepEqual(parseForm(text), parseForm(utf8(text)));
    assert.deepEqual(parseForm(text), [
      ["name", "Jürgen Müller"],
      ["city", "Zürich"],
      ["emoji", "😀"],
      ["bad", "\uFFFD"],
    ]);
  });

  test("parseForm() encodes a lone surrogate in a string as U+FFFD", () => {
    assert.deepEqual(parseForm("a=\uD800&\uDC00=b"), [
      ["a", "\uFFFD"],
      ["\uFFFD", "b"],
    ]);
  });

  test("parseForm() reads only the bytes of the view it is given", () => {
    const backing = utf8("zz=1&a=%41+b&zz=2");
    const view = backing.subarray(5, 12); // "a=%41+b"
    assert.deepEqual(parseForm(view), [["a", "A b"]]);
  });

  test("parseForm() treats a __proto__ name as just a name", () => {
    const pairs = parseForm("__proto__=x&constructor=y&__proto__[polluted]=1");
    assert.deepEqual(pairs, [
      ["__proto__", "x"],
      ["constructor", "y"],
      ["__proto__[polluted]", "1"],
    ]);
    assert.equal(Object.getPrototypeOf(pairs), Array.prototype);
    assert.equal(({} as Record<string, unknown>)["polluted"], undefined);
  });

  test("parseForm() decodes a value made of many escapes and + signs", () => {
    const many = "%41%2b+".repeat(50) + "%zz";
    assert.deepEqual(parseForm(`${many}=${many}`), [["A+ ".repeat(50) + "%zz", "A+ ".repeat(50) + "%zz"]]);
    assert.deepEqual(parseForm("a=" + "x+".repeat(40) + "%41&" + "+".repeat(40) + "%E2%82%AC"), [
      ["a", "x ".repeat(40) + "A"],
      [" ".repeat(40) + "€", ""],
    ]);
  });

  test("parseForm() decodes long names and values, ASCII and not", () => {
    const asciiValue = "x".repeat(200_000);
    const escapedValue = "%41".repeat(10_000) + "+" + "€".repeat(10_000);
    assert.deepEqual(parseForm(`a=${asciiValue}&b=${escapedValue}`), [
      ["a", asciiValue],
      ["b", "A".repeat(10_000) + " " + "€".repeat(10_000)],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Property tests


const SEED = 1592651937; // change to explore other inputs; every failure message prints it
const BYTE_CASES = 25_000;
const STRING_CASES = 3_000;

type Random = () => number;

function int(random: Random, below: number): number {
  return Math.floor(random() * below);
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[int(random, items.length)]!;
}

const HEX_DIGITS = "0123456789abcdefABCDEF";
const NOT_HEX = "gGzZ;%+&= -.";

/** Byte sequences that are hostile to a UTF-8 decoder, valid and not. */
const UTF8_MATERIAL: readonly (readonly number[])[] = [
  [0xc3, 0xa9], // é
  [0xe2, 0x82, 0xac], // €
  [0xf0, 0x9f, 0x98, 0x80], // 😀
  [0xef, 0xbb, 0xbf], // BOM
  [0xef, 0xbf, 0xbd], // U+FFFD itself
  [0xc2, 0x80], // U+0080, the smallest two-byte code point
  [0xf4, 0x8f, 0xbf, 0xbf], // U+10FFFF
  [0xe2, 0x82], // truncated three-byte sequence
  [0xf0, 0x9f, 0x98], // truncated four-byte sequence
  [0xf0, 0x9f], // truncated four-byte sequence
  [0x80], // lone continuation bytes
  [0xbf],
  [0xc0], // never valid
  [0xc1],
  [0xf5],
  [0xf8],
  [0xfe],
  [0xff],
  [0xc0, 0x80], // overlong NUL
  [0xc1, 0xbf], // overlong
  [0xe0, 0x80, 0x80], // overlong
  [0xe0, 0x9f, 0xbf], // overlong
  [0xf0, 0x80, 0x80, 0x80], // overlong
  [0xf0, 0x8f, 0xbf, 0xbf], // overlong
  [0xed, 0xa0, 0x80], // encoded high surrogate
  [0xed, 0xbf, 0xbf], // encoded low surrogate
  [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
];

function hexByte(random: Random, byte: number): number[] {
  const digits = byte.toString(16).padStart(2, "0");
  const text = random() < 0.5 ? digits.toLowerCase() : digits.toUpperCase();
  return [0x25, text.charCodeAt(0), text.charCodeAt(1)];
}

/** One random input, biased towards separators, escapes and broken UTF-8. */
function randomBytes(random: Random): Uint8Array {
  const out: number[] = [];
  if (random() < 0.03) return new Uint8Array(0);
  if (random() < 0.1) out.push(0xef, 0xbb, 0xbf); // a leading BOM, raw
  else if (random() < 0.05) out.push(...hexByte(random, 0xef), ...hexByte(random, 0xbb), ...hexByte(random, 0xbf));
  const tokens = random() < 0.1 ? int(random, 80) : int(random, 24);
  for (let t = 0; t < tokens; t++) {
    const kind = random();
    if (kind < 0.3) {
      out.push("%+&=;?".charCodeAt(int(random, 6)));
    } else if (kind < 0.4) {
      out.push(HEX_DIGITS.charCodeAt(int(random, HEX_DIGITS.length)));
    } else if (kind < 0.45) {
      out.push(0x61 + int(random, 26)); // a-z
    } else if (kind < 0.55) {
      // A valid escape of any byte, including the separators and + (%26, %3D, %2B).
      out.push(...hexByte(random, int(random, 256)));
    } else if (kind < 0.62) {
      // % and one hex digit, then something that is not one (or the end of the input).
      out.push(0x25, HEX_DIGITS.charCodeAt(int(random, HEX_DIGITS.length)));
      if (random() < 0.7) out.push(NOT_HEX.charCodeAt(int(random, NOT_HEX.length)));
    } else if (kind < 0.65) {
      out.push(0x25, NOT_HEX.charCodeAt(int(random, NOT_HEX.length)));
    } else if (kind < 0.8) {
      for (const byte of pick(random, UTF8_MATERIAL)) out.push(byte); // raw
    } else if (kind < 0.92) {
      // The same material written as escapes, or a mix of raw and escaped bytes.
      const mix = random() < 0.3;
      for (const byte of pick(random, UTF8_MATERIAL)) {
        if (mix && random() < 0.5) out.push(byte);
        else out.push(...hexByte(random, byte));
      }
    } else if (kind < 0.97) {
      out.push(0x80 + int(random, 128)); // any high byte
    } else {
      out.push(int(random, 0x80)); // any ASCII byte, controls included
    }
  }
  return Uint8Array.from(out);
}

/**
 * The reference: URLSearchParams, fed only ASCII.
 *
 * Node's URLSearchParams is NOT a faithful reference on raw non-ASCII input. When a piece holds a
 * valid %XX escape and decodeURIComponent() rejects it (an invalid escape or invalid UTF-8), Node
 * falls back to a decoder that keeps only the low byte of each UTF-16 code unit, so
 * "+%2;%2B a€" gives " %2;+ a\uFFFD" and "%41%\u0141" gives "A%A", where the standard and Deno
 * give " %2;+ a€" and "A%\u0141". On input whose non-ASCII bytes are first percent-encoded it
 * agrees with the standard, and that rewriting does not change the bytes the standard's algorithm
 * produces: percent-decoding %XX yields the same byte, bytes >= 0x80 are never &, = or +, and the
 * inserted % cannot complete an escape that a preceding % started, because % is not a hex digit.
 * So every byte >= 0x80 becomes %XX and the result is a string of single-byte code units, which
 * is what URLSearchParams then UTF-8 encodes back to the same bytes.
 *
 * Two more differences, handled here:
 * - The URLSearchParams constructor strips one leading "?" from a string; the urlencoded parser
 *   does not. A leading "&" makes an empty piece, which the standard skips, and keeps any "?"
 *   off position 0.
 * - A leading BOM: the standard keeps it as U+FEFF ("UTF-8 decode without BOM"). Node's
 *   URLSearchParams keeps it too (checked by the test below, so a change in Node shows up as a
 *   failure of that check rather than as a confusing property failure), so no special case.
 */
function reference(bytes: Uint8Array): Array<[string, string]> {
  let text = "&";
  for (const byte of bytes) {
    text += byte < 0x80 ? String.fromCharCode(byte) : "%" + byte.toString(16).toUpperCase();
  }
  return [...new URLSearchParams(text)];
}

function show(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join(" ");
}

describe("parseForm properties", () => {
  test("the URLSearchParams reference keeps a leading BOM, as the standard does", () => {
    assert.deepEqual(reference(raw(0xef, 0xbb, 0xbf, 0x61, 0x3d, 0xef, 0xbb, 0xbf)), [["\uFEFFa", "\uFEFF"]]);
    assert.deepEqual(reference(utf8("?a=1")), [["?a", "1"]]);
  });

  test(`parseForm(bytes) matches URLSearchParams on ${BYTE_CASES} hostile inputs (seed ${SEED})`, () => {
    const random = mulberry32(SEED);
    for (let n = 0; n < BYTE_CASES; n++) {
      const bytes = randomBytes(random);
      assert.deepEqual(parseForm(bytes), reference(bytes), `seed ${SEED}, case ${n}, bytes [${show(bytes)}]`);
    }
  });

  test(`parseForm(string) equals parseForm of its UTF-8 bytes on ${STRING_CASES} random strings (seed ${SEED})`, () => {
    const random = mulberry32(SEED ^ 0x9e3779b9);
    const pieces = ["%", "+", "&", "=", "%2", "%2B", "%e2%82%ac", "%FF", "a", "Z", "\uFEFF", "é", "€", "\uFFFD"];
    for (let n = 0; n < STRING_CASES; n++) {
      let text = "";
      const length = int(random, 20);
      for (let i = 0; i < length; i++) {
        const kind = random();
        if (kind < 0.4) text += pick(random, pieces);
        else if (kind < 0.55) text += String.fromCodePoint(0x10000 + int(random, 0x100000)); // non-BMP
        else if (kind < 0.7) text += String.fromCharCode(0xd800 + int(random, 0x800)); // lone surrogate (or a pair, by chance)
        else text += String.fromCharCode(int(random, 0x10000)); // any code unit
      }
      const bytes = utf8(text);
      const message = `seed ${SEED}, case ${n}, text ${JSON.stringify(text)}`;
      const fromString = parseForm(text);
      assert.deepEqual(fromString, parseForm(bytes), message);
      assert.deepEqual(fromString, reference(bytes), message);
    }
  });
});
