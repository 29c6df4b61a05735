// Parsers of the forwarding options' values. None of their messages quotes the text back: a URL,
// a header or a secret may well be a credential.
import { decodeStrictBase64 } from "../crypto/strict-base64.ts";
import { fail, ok, type Parsed } from "./parsed.ts";

/**
 * Parses the downstream URL: absolute, http or https, without credentials (they would be logged).
 *
 * @param text The URL.
 * @returns The URL, or what is wrong.
 * @example
 * ```ts
 * parseForwardUrl("http://127.0.0.1:3000/events"); // { ok: true, value: URL }
 * ```
 */
export function parseForwardUrl(text: string): Parsed<URL> {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return fail("is not a URL");
  }
  if (url.username || url.password) return fail("credentials in the URL would be logged; use --forward-header 'Authorization: …'");
  if (url.protocol !== "http:" && url.protocol !== "https:") return fail(`must be an http or https URL, not ${url.protocol}`);
  return ok(url);
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Set by the relay itself: a user's value would break framing, dedup headers or the signature.
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  "content-type",
  "content-length",
  "transfer-encoding",
  "connection",
  "host",
  "idempotency-key",
  "ce-id",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
]);

/**
 * Parses an extra header, `Name: value` (both trimmed), refusing the headers the relay sets.
 *
 * @param text The header.
 * @returns `[name, value]`, or what is wrong.
 * @example
 * ```ts
 * parseHeader("Authorization: Bearer abc"); // { ok: true, value: ["Authorization", "Bearer abc"] }
 * ```
 */
export function parseHeader(text: string): Parsed<readonly [string, string]> {
  const colon = text.indexOf(":");
  const name = colon === -1 ? "" : text.slice(0, colon).trim();
  const value = colon === -1 ? "" : text.slice(colon + 1).trim();
  if (!TOKEN.test(name)) return fail("expected 'Name: value' with a valid header name");
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) return fail(`the value of ${name} holds a control character or a character HTTP cannot carry`);
  if (RESERVED_HEADERS.has(name.toLowerCase())) return fail(`${name} is set by the relay and cannot be replaced`);
  return ok([name, value]);
}

/**
 * Parses a Standard Webhooks secret: `whsec_` and base64 of 24 to 64 random bytes.
 *
 * @param text The secret.
 * @returns The decoded bytes, or what is wrong.
 * @example
 * ```ts
 * parseSecret(`whsec_${Buffer.from(randomBytes(32)).toString("base64")}`); // { ok: true, value: Uint8Array(32) }
 * ```
 */
export function parseSecret(text: string): Parsed<Uint8Array> {
  const bytes = text.startsWith("whsec_") ? decodeStrictBase64(text.slice(6)) : undefined;
  if (bytes === undefined || bytes.length < 24 || bytes.length > 64) return fail("expected whsec_ followed by base64 of 24 to 64 bytes");
  return ok(bytes);
}
