// The WHATWG URL Standard's application/x-www-form-urlencoded parser,
// https://url.spec.whatwg.org/#urlencoded-parsing, on bytes, with web-standard APIs only so the
// same file runs under Node and Deno.
//
// Why not URLSearchParams: Node's implementation is not faithful on raw non-ASCII input. When a
// piece holds a valid %XX escape and decodeURIComponent() rejects it (an invalid escape such as
// "%2;", or escapes that are not valid UTF-8), Node falls back to a decoder that keeps only the
// low byte of each UTF-16 code unit of the piece: "+%2;%2B a€" gives " %2;+ a\uFFFD" and
// "%41%\u0141" gives "A%A", where the standard (and Deno) give " %2;+ a€" and "A%\u0141".

// "UTF-8 decode without BOM" (https://encoding.spec.whatwg.org/#utf-8-decode-without-bom): a
// leading EF BB BF is an ordinary U+FEFF, not something to strip, hence ignoreBOM. Invalid
// sequences become U+FFFD (fatal is false). decode() without { stream: true } keeps no state
// between calls, so one decoder serves every call.
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
const utf8Encoder = new TextEncoder();

// Value of each byte as an ASCII hex digit, or -1. The spec's percent-decode accepts exactly
// 0x30-0x39, 0x41-0x46 and 0x61-0x66 (https://url.spec.whatwg.org/#percent-decode).
const HEX = new Int8Array(256).fill(-1);
for (let digit = 0; digit < 16; digit++) {
  HEX[digit.toString(16).charCodeAt(0)] = digit;
  HEX[digit.toString(16).toUpperCase().charCodeAt(0)] = digit;
}

// Flags describing a run of bytes, set while scanning for separators.
const ESCAPE = 1; // holds 0x25 (%) or 0x2B (+): percent-decoding or + replacement has work to do
const HIGH = 2; // holds a byte >= 0x80: needs a real UTF-8 decode

// String.fromCharCode.apply passes every byte as an argument; engines cap argument counts (V8
// throws RangeError somewhere past 100k), so longer runs go through the TextDecoder instead.
const MAX_APPLY = 4096;

// Percent-decoded output is never longer than its input, so a run of up to this many bytes
// decodes into the shared scratch buffer; longer runs (rare in a form body) get their own.
// Sharing is safe: parseForm is synchronous and decode() copies out of the buffer.
const scratch = new Uint8Array(4096);

/** Bytes that are all below 0x80 as a string: for ASCII, UTF-8 decoding is the identity. */
function ascii(bytes: Uint8Array): string {
  if (bytes.length > MAX_APPLY) return utf8.decode(bytes);
  // A Uint8Array is array-like, which is all Function.prototype.apply needs.
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/**
 * One name or value, bytes[start, end): replace + with a space, percent-decode, then UTF-8 decode
 * without BOM — in that order, so "%2B" stays "+" while "+" becomes " ".
 */
function decodeRun(bytes: Uint8Array, start: number, end: number, flags: number): string {
  if (start === end) return "";
  if ((flags & ESCAPE) === 0) {
    const run = bytes.subarray(start, end);
    // No % and no +: the bytes are already the decoded bytes.
    return (flags & HIGH) === 0 ? ascii(run) : utf8.decode(run);
  }
  const out = end - start <= scratch.length ? scratch : new Uint8Array(end - start);
  let length = 0;
  let high = flags & HIGH; // becomes non-zero if %XX produces a byte >= 0x80 too
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte === 0x2b) {
      out[length++] = 0x20;
    } else if (byte === 0x25 && i + 2 < end) {
      // Two hex digits must follow within this name or value. Looking at the raw bytes is the
      // same as looking after + replacement: neither + nor space is a hex digit.
      const hi = HEX[bytes[i + 1]!]!;
      const lo = HEX[bytes[i + 2]!]!;
      if ((hi | lo) < 0) {
        out[length++] = 0x25; // not an escape: the spec keeps the % as it is
      } else {
        const decoded = (hi << 4) | lo;
        out[length++] = decoded;
        high |= decoded & 0x80;
        i += 2;
      }
    } else {
      out[length++] = byte; // includes a % with fewer than two bytes after it
    }
  }
  const decoded = out.subarray(0, length);
  return high === 0 ? ascii(decoded) : utf8.decode(decoded);
}

/**
 * Parses an `application/x-www-form-urlencoded` body exactly as the WHATWG URL Standard does
 * (https://url.spec.whatwg.org/#urlencoded-parsing): split on `&`, skip empty pieces, split each
 * piece at its first `=`, turn `+` into a space, percent-decode, then UTF-8 decode keeping a
 * leading BOM and replacing invalid sequences with U+FFFD.
 *
 * @param input The body. A string is UTF-8 encoded first (lone surrogates become U+FFFD).
 * @returns The name/value pairs in body order, duplicates kept.
 * @example
 * ```ts
 * parseForm("a=1&b=x+y%2B&a&=%E2%82%AC");
 * // [["a", "1"], ["b", "x y+"], ["a", ""], ["", "€"]]
 * ```
 */
export function parseForm(input: Uint8Array | string): Array<[string, string]> {
  // The spec's URLSearchParams(string) runs "UTF-8 encode" first; TextEncoder is that encoder.
  const bytes = typeof input === "string" ? utf8Encoder.encode(input) : input;
  const pairs: Array<[string, string]> = [];
  const length = bytes.length;
  let start = 0; // first byte of the current piece
  let equals = -1; // index of the piece's first =, or -1
  let nameFlags = 0;
  let flags = 0; // flags of the name until the first =, then of the value
  // One pass; i === length acts as a final & so the last piece is handled in the loop.
  for (let i = 0; i <= length; i++) {
    const byte = i < length ? bytes[i]! : 0x26;
    if (byte === 0x26) {
      if (i > start) {
        // "If bytes is the empty byte sequence, then continue": only a zero-length piece is
        // skipped; "=" alone is a piece with an empty name and an empty value.
        if (equals < 0) {
          pairs.push([decodeRun(bytes, start, i, flags), ""]);
        } else {
          pairs.push([decodeRun(bytes, start, equals, nameFlags), decodeRun(bytes, equals + 1, i, flags)]);
        }
      }
      start = i + 1;
      equals = -1;
      flags = 0;
    } else if (byte === 0x3d && equals < 0) {
      // Only the first = splits; later ones belong to the value.
      equals = i;
      nameFlags = flags;
      flags = 0;
    } else if (byte === 0x25 || byte === 0x2b) {
      flags |= ESCAPE;
    } else if (byte >= 0x80) {
      flags |= HIGH;
    }
  }
  return pairs;
}
