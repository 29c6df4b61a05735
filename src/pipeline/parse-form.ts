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

// "latin1" is windows-1252 in the Encoding Standard: a single-byte encoding in which every byte is
// exactly one UTF-16 code unit (and which never strips a BOM). Decoding the whole body with it
// once gives a string whose indices are byte offsets. A run of bytes below 0x80 is ASCII, and
// UTF-8 decoding is the identity on ASCII, so such a run decodes to a slice() of that string:
// far cheaper than a decoder call or String.fromCharCode.apply per name and value. What the
// decoder makes of bytes >= 0x80 is never used (Node maps 0x80-0x9F as ISO-8859-1 rather than
// windows-1252, nodejs/node#56542), only that it keeps one code unit per byte.
const latin1 = new TextDecoder("latin1");

// What each byte means to the scan: 0 for most, a separator code, or flag bits for a run. A table
// lookup and one comparison per ordinary byte is measurably faster than a chain of comparisons.
const ESCAPE = 1; // 0x25 (%) or 0x2B (+): percent-decoding or + replacement has work to do
const HIGH = 2; // a byte >= 0x80: the run needs a real UTF-8 decode
const AMPERSAND = 4; // 0x26 (&) ends a piece
const EQUALS = 8; // 0x3D (=) ends the name if it is the piece's first
const CLASS = new Uint8Array(256).fill(HIGH, 0x80);
CLASS[0x25] = ESCAPE;
CLASS[0x2b] = ESCAPE;
CLASS[0x26] = AMPERSAND;
CLASS[0x3d] = EQUALS;

// Value of each byte as an ASCII hex digit, or -1. The spec's percent-decode accepts exactly
// 0x30-0x39, 0x41-0x46 and 0x61-0x66 (https://url.spec.whatwg.org/#percent-decode).
const HEX = new Int8Array(256).fill(-1);
for (let digit = 0; digit < 16; digit++) {
  HEX[digit.toString(16).charCodeAt(0)] = digit;
  HEX[digit.toString(16).toUpperCase().charCodeAt(0)] = digit;
}

// Beyond this many replaced escapes or +, decodeAsciiEscaped gives up and leaves the run to
// decodeEscaped, so a value made of thousands of escapes never becomes thousands of joined strings.
const MAX_ASCII_REPLACEMENTS = 16;

// Percent-decoded output is never longer than its input, so a run of up to this many bytes
// decodes into the shared scratch buffer; longer runs (rare in a form body) get their own.
// Sharing is safe: parseForm is synchronous and decode() copies out of the buffer.
const scratch = new Uint8Array(4096);

/**
 * The general case for one name or value, bytes[start, end): replace + with a space,
 * percent-decode into scratch, then UTF-8 decode without BOM in one decoder call. Replacing +
 * before percent-decoding is what keeps "%2B" a "+".
 */
function decodeEscaped(bytes: Uint8Array, start: number, end: number): string {
  const out = end - start <= scratch.length ? scratch : new Uint8Array(end - start);
  let length = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte === 0x2b) {
      out[length++] = 0x20;
    } else if (byte === 0x25 && i + 2 < end) {
      // Looking at the raw bytes after % is the same as looking after + replacement: neither +
      // nor space is a hex digit.
      const hi = HEX[bytes[i + 1]!]!;
      const lo = HEX[bytes[i + 2]!]!;
      if ((hi | lo) < 0) {
        out[length++] = 0x25; // not followed by two hex digits: the spec keeps the % as it is
      } else {
        out[length++] = (hi << 4) | lo;
        i += 2;
      }
    } else {
      out[length++] = byte; // includes a % with fewer than two bytes after it
    }
  }
  return utf8.decode(out.subarray(0, length));
}

/**
 * The common case for a name or value with % or + but no raw byte >= 0x80, such as
 * "v3%3A9X2v...": if every escape decodes to ASCII the result is ASCII, UTF-8 decoding is the
 * identity, and the value is the slices of text between escapes joined with the decoded
 * characters. Returns undefined, having produced nothing, when an escape decodes to a byte >= 0x80
 * (a UTF-8 sequence to decode as a whole) or there are too many escapes to join cheaply.
 */
function decodeAsciiEscaped(text: string, bytes: Uint8Array, start: number, end: number): string | undefined {
  let result = "";
  let from = start; // first byte not yet copied into result
  let replacements = 0;
  for (let i = start; i < end; i++) {
    const byte = bytes[i]!;
    if (byte === 0x2b) {
      if (++replacements > MAX_ASCII_REPLACEMENTS) return undefined;
      result += text.slice(from, i) + " ";
      from = i + 1;
    } else if (byte === 0x25 && i + 2 < end) {
      const hi = HEX[bytes[i + 1]!]!;
      const lo = HEX[bytes[i + 2]!]!;
      // Not an escape: the % stays, as part of the next slice.
      if ((hi | lo) < 0) continue;
      if (hi >= 8 || ++replacements > MAX_ASCII_REPLACEMENTS) return undefined;
      result += text.slice(from, i) + String.fromCharCode((hi << 4) | lo);
      i += 2;
      from = i + 1;
    }
  }
  return result + text.slice(from, end);
}

/** Decodes one name or value, bytes[start, end), by the cheapest route its flags allow. */
function decodeRun(text: string, bytes: Uint8Array, start: number, end: number, flags: number): string {
  if (flags === 0) return text.slice(start, end); // ASCII, nothing to replace
  if (flags === HIGH) return utf8.decode(bytes.subarray(start, end)); // nothing to replace
  if (flags === ESCAPE) return decodeAsciiEscaped(text, bytes, start, end) ?? decodeEscaped(bytes, start, end);
  return decodeEscaped(bytes, start, end);
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
  if (length === 0) return pairs;
  const text = latin1.decode(bytes);
  let start = 0; // first byte of the current piece
  let equals = -1; // index of the piece's first =, or -1
  let nameFlags = 0; // ESCAPE | HIGH seen in the name
  let flags = 0; // ESCAPE | HIGH seen in the name until the first =, then in the value
  // One pass; i === length acts as a final & so the last piece is handled in the loop.
  for (let i = 0; i <= length; i++) {
    const kind = i < length ? CLASS[bytes[i]!]! : AMPERSAND;
    if (kind === 0) continue;
    if (kind === AMPERSAND) {
      // "If bytes is the empty byte sequence, then continue": only a zero-length piece is
      // skipped; "=" alone is a piece with an empty name and an empty value.
      if (i > start) {
        if (equals < 0) {
          // No =: the whole piece is the name and the value is the empty string.
          pairs.push([decodeRun(text, bytes, start, i, flags), ""]);
        } else {
          pairs.push([decodeRun(text, bytes, start, equals, nameFlags), decodeRun(text, bytes, equals + 1, i, flags)]);
        }
      }
      start = i + 1;
      equals = -1;
      flags = 0;
    } else if (kind === EQUALS) {
      // Only the first = splits; later ones belong to the value.
      if (equals < 0) {
        equals = i;
        nameFlags = flags;
        flags = 0;
      }
    } else {
      flags |= kind;
    }
  }
  return pairs;
}
