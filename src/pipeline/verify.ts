import { Buffer } from "node:buffer";
import { verify, type KeyObject } from "node:crypto";
import { decodeStrictBase64 } from "../crypto/strict-base64.ts";
import { reject, type Rejection } from "./rejection.ts";

declare const verifiedBrand: unique symbol;

/**
 * Raw body bytes whose Telnyx signature has been checked. Only {@link createVerifier}'s function
 * makes one, so nothing unverified can reach the parser or a sink by accident.
 */
export type VerifiedBody = Uint8Array & { readonly [verifiedBrand]: true };

/** The value of one request header as an HTTP library gives it: absent, once, or repeated. */
export type HeaderValue = string | readonly string[] | undefined;

/** The outcome of a successful check. */
export interface Verified {
  readonly ok: true;
  readonly body: VerifiedBody;
  /** The `telnyx-timestamp` header, as Unix seconds. */
  readonly timestamp: number;
}

/** What {@link createVerifier} needs. */
export interface VerifierOptions {
  /** Ed25519 public keys made once at start-up (see `parsePublicKey`); any one may match (rotation). */
  readonly keys: readonly KeyObject[];
  /** How far `telnyx-timestamp` may be from now, in seconds, in either direction. Telnyx's SDKs use 300. */
  readonly toleranceSeconds: number;
  /** The clock, in milliseconds since the epoch. */
  readonly now: () => number;
}

/** Checks one delivery: the two Telnyx headers and the raw body bytes. */
export type Verifier = (
  timestampHeader: HeaderValue,
  signatureHeader: HeaderValue,
  body: Uint8Array,
) => Verified | Rejection;

// A plain decimal integer: no sign, no spaces, no fraction, no exponent. 15 digits stay exact in a
// double; anything longer is absurd as Unix seconds anyway. This is the check that parseInt/Number
// based verifiers missed: Number("") is 0, parseInt("x") is NaN, and NaN passes `age > tolerance`.
// No leading zero either (but "0" itself): Telnyx sends plain Unix seconds, ten digits from 2001 to
// 2286, so a genuine delivery never has one. Accepting one would give a second text for the same
// second, read differently by other parsers (strtol with base 0 and older parseInt read "0123" as
// octal), where a dead letter or a log line is later read back; one canonical text is the safer rule.
const TIMESTAMP = /^(?:0|[1-9][0-9]{0,14})$/;
const SIGNATURE_BYTES = 64;
const SEPARATOR = 0x7c; // "|"

/**
 * Makes the Telnyx webhook signature check: Ed25519 over `telnyx-timestamp` + `|` + raw body.
 *
 * The timestamp header is used exactly as received and the body exactly as read: nothing is parsed
 * or normalised before the signature holds. Fails closed: no key, a throwing crypto call, or any
 * malformed input is a rejection, never a pass.
 *
 * @param options Keys, tolerance and clock.
 * @returns A function from (timestamp header, signature header, body) to a verified body or a rejection.
 * @throws {TypeError} If no key is given or the tolerance is not a non-negative finite number.
 * @example
 * ```ts
 * const check = createVerifier({ keys: [parsePublicKey(key)], toleranceSeconds: 300, now: Date.now });
 * const result = check(req.headers["telnyx-timestamp"], req.headers["telnyx-signature-ed25519"], body);
 * if (!result.ok) return respond(401, result.reason);
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const keys = [...options.keys];
  const { toleranceSeconds, now } = options;
  if (keys.length === 0) throw new TypeError("Cannot verify signatures: no public key given");
  if (!Number.isFinite(toleranceSeconds) || toleranceSeconds < 0) {
    throw new TypeError(`Cannot verify signatures: tolerance must be a non-negative number of seconds, got ${toleranceSeconds}`);
  }

  return function verifyDelivery(timestampHeader, signatureHeader, body) {
    const timestampText = single(timestampHeader);
    if (timestampText === undefined) return reject("missing_header", "telnyx-timestamp header is missing");
    if (timestampText === null) return reject("repeated_header", "telnyx-timestamp header is repeated");
    const signatureText = single(signatureHeader);
    if (signatureText === undefined) return reject("missing_header", "telnyx-signature-ed25519 header is missing");
    if (signatureText === null) return reject("repeated_header", "telnyx-signature-ed25519 header is repeated");

    if (!TIMESTAMP.test(timestampText)) {
      return reject("malformed_timestamp", "telnyx-timestamp must be Unix seconds as a plain decimal integer");
    }
    const timestamp = Number(timestampText);
    // Whole seconds, as Telnyx's SDKs compare: the header has no fraction either.
    const skew = Math.floor(now() / 1000) - timestamp;
    if (!(Math.abs(skew) <= toleranceSeconds)) {
      return reject(
        "stale_timestamp",
        `telnyx-timestamp is ${Math.round(Math.abs(skew))} s ${skew > 0 ? "old" : "in the future"}; tolerance is ${toleranceSeconds} s`,
      );
    }

    const signature = decodeStrictBase64(signatureText, SIGNATURE_BYTES);
    if (signature === undefined) {
      return reject("malformed_signature", "telnyx-signature-ed25519 must be standard base64 of 64 bytes");
    }

    // The signed message, built in one buffer: timestamp text (ASCII digits, checked above), "|", body.
    const message = Buffer.allocUnsafe(timestampText.length + 1 + body.length);
    message.write(timestampText, 0, "latin1");
    message[timestampText.length] = SEPARATOR;
    message.set(body, timestampText.length + 1);

    if (verifyMessage(keys, message, signature)) return { ok: true, body: body as VerifiedBody, timestamp };
    return reject("bad_signature", "signature does not match the body and timestamp for any configured key");
  };
}

/**
 * The Ed25519 check itself: true when `signature` is valid for `message` under any of `keys`.
 * Fails closed: a key that makes the crypto call throw counts as no match.
 *
 * @param keys Ed25519 public keys.
 * @param message The signed bytes.
 * @param signature The 64-byte signature.
 * @returns Whether one key verifies the signature.
 * @example
 * ```ts
 * verifyMessage([parsePublicKey(key)], Buffer.from("1700000000|body"), signature);
 * ```
 */
export function verifyMessage(keys: readonly KeyObject[], message: Uint8Array, signature: Uint8Array): boolean {
  for (const key of keys) {
    try {
      if (verify(null, message, key, signature)) return true;
    } catch {
      // fail closed: a crypto error is never a pass
    }
  }
  return false;
}

/** The header's only value; undefined when absent or empty, null when repeated. */
function single(value: HeaderValue): string | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== "string") {
    if (value.length === 0) return undefined;
    if (value.length > 1) return null;
    value = value[0] as string;
  }
  return value === "" ? undefined : value;
}
