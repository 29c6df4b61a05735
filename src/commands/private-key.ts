import { createPrivateKey, type KeyObject } from "node:crypto";
import type { Buffer } from "node:buffer";

/**
 * Reads the Ed25519 private key of `--private-key` (as `keygen` writes it: PEM, PKCS #8).
 *
 * @param pem The file's content.
 * @returns The key, or a one-line problem that does not repeat the key.
 * @example
 * ```ts
 * const key = loadPrivateKey(readFileSync("telnyx-test-private-key.pem"));
 * ```
 */
export function loadPrivateKey(pem: Buffer): KeyObject | string {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    return "--private-key: not a PEM private key (telnyx-relay keygen writes one)";
  }
  if (key.asymmetricKeyType !== "ed25519") return `--private-key: it is ${key.asymmetricKeyType ?? "unknown"}, not ed25519`;
  return key;
}
