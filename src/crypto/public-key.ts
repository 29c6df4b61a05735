import { Buffer } from "node:buffer";
import { createPublicKey, type KeyObject } from "node:crypto";
import { isEd25519Point } from "./ed25519-point.ts";
import { decodeStrictBase64 } from "./strict-base64.ts";

// DER of SubjectPublicKeyInfo { AlgorithmIdentifier { id-Ed25519 (1.3.101.112) }, BIT STRING (32 bytes) }
// (RFC 8410 section 4). Telnyx shows the raw 32-byte key; its Java and Ruby SDKs add this same prefix.
const ED25519_SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/**
 * Turns a Telnyx public key into a `KeyObject`, once, at start-up.
 *
 * Accepts the key as the Telnyx portal shows it (standard base64 of the raw 32 bytes) or as a PEM
 * `PUBLIC KEY` (SPKI) block. Error messages never repeat the key.
 *
 * @param text The key text; surrounding whitespace is ignored.
 * @returns An Ed25519 public `KeyObject`.
 * @throws {SyntaxError} If the text is neither form, or its 32 bytes are not a point on the curve.
 * @throws {TypeError} If it is a PEM key of another type than Ed25519.
 * @example
 * ```ts
 * const key = parsePublicKey(process.env.TELNYX_PUBLIC_KEY ?? "");
 * ```
 */
export function parsePublicKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (trimmed === "") throw new SyntaxError("Cannot parse public key: value is empty");
  if (trimmed.startsWith("-----BEGIN")) return parsePem(trimmed);
  const raw = decodeStrictBase64(trimmed, 32);
  if (raw === undefined) {
    throw new SyntaxError(
      `Cannot parse public key: expected base64 of 32 bytes (44 characters) or a PEM block, got ${trimmed.length} characters`,
    );
  }
  checkPoint(raw);
  return createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

// Node takes any 32 bytes (and every delivery would then fail 401): the key must be a curve point.
function checkPoint(raw: Uint8Array): void {
  if (!isEd25519Point(raw)) throw new SyntaxError("Cannot parse public key: the 32 bytes are not a point on the Ed25519 curve (RFC 8032 §5.1.3)");
}

// Exactly one PEM block and nothing else: OpenSSL's own PEM reader skips text it does not
// understand and would, for instance, take a PRIVATE KEY block after a broken PUBLIC KEY one, or
// use only the first of two keys pasted into one value.
const PEM = /^-----BEGIN PUBLIC KEY-----\r?\n([A-Za-z0-9+/=\r\n]+)\r?\n-----END PUBLIC KEY-----$/;

function parsePem(pem: string): KeyObject {
  const match = PEM.exec(pem);
  const base64 = match?.[1]?.replace(/[\r\n]/g, "");
  const der = base64 === undefined ? undefined : decodeStrictBase64(base64);
  if (der === undefined) {
    throw new SyntaxError("Cannot parse public key: expected exactly one PEM 'PUBLIC KEY' (SPKI) block");
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: der, format: "der", type: "spki" });
  } catch {
    // The runtime's message (OpenSSL's on Node, another on Deno) is not shown: it adds nothing a user can act on.
    throw new SyntaxError("Cannot parse public key: the PEM block is not a valid SPKI public key");
  }
  if (key.asymmetricKeyType !== "ed25519") {
    throw new TypeError(`Cannot use public key: it is ${key.asymmetricKeyType ?? "unknown"}, not ed25519`);
  }
  checkPoint(key.export({ format: "der", type: "spki" }).subarray(ED25519_SPKI_PREFIX.length));
  return key;
}
