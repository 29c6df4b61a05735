import { Buffer } from "node:buffer";

// Standard alphabet, padded, nothing else: no whitespace, no URL-safe characters, no missing padding.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes standard, padded, canonical base64 of an exact length, or returns undefined.
 *
 * Node's own decoder is lenient: it skips characters outside the alphabet, accepts the URL-safe
 * alphabet and missing padding, and ignores non-zero trailing bits. Verifiers that relied on it have
 * accepted several spellings of one signature; this one accepts exactly one.
 *
 * @param text The base64 text.
 * @param byteLength The number of bytes the text must decode to; omitted, any length the text
 *   spells out (still canonical and padded).
 * @returns The bytes, or undefined if the text is not canonical base64 of that length.
 * @example
 * ```ts
 * decodeStrictBase64("AAE=", 2); // Uint8Array [0, 1]
 * decodeStrictBase64("AAF=", 2); // undefined (non-zero padding bits)
 * ```
 */
export function decodeStrictBase64(text: string, byteLength = spelledLength(text)): Buffer | undefined {
  if (text.length !== Math.ceil(byteLength / 3) * 4 || !BASE64.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== byteLength) return undefined;
  // Canonical: re-encoding gives back the same text, so unused trailing bits were zero.
  if (bytes.toString("base64") !== text) return undefined;
  return bytes;
}

/** The byte length a padded base64 text spells: 3 per 4 characters, less one per `=`. */
function spelledLength(text: string): number {
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  return Math.floor(text.length / 4) * 3 - padding;
}
