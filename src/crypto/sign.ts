import { Buffer } from "node:buffer";
import { sign, type KeyObject } from "node:crypto";

/** The two headers Telnyx sends with every webhook. */
export interface TelnyxSignatureHeaders {
  readonly "telnyx-timestamp": string;
  readonly "telnyx-signature-ed25519": string;
}

/**
 * Signs a body the way Telnyx does: Ed25519 over `<timestamp>|<raw body>`. For tests, demos and
 * tools that play Telnyx; the relay itself only verifies.
 *
 * @param privateKey An Ed25519 private `KeyObject`.
 * @param body The exact body bytes (or text, sent as UTF-8) that will be POSTed.
 * @param timestamp Unix seconds.
 * @returns The `telnyx-timestamp` and `telnyx-signature-ed25519` headers.
 * @example
 * ```ts
 * const { privateKey } = generateKeyPairSync("ed25519");
 * const headers = signDelivery(privateKey, "CallSid=v3%3Aabc", Math.floor(Date.now() / 1000));
 * ```
 */
export function signDelivery(privateKey: KeyObject, body: Uint8Array | string, timestamp: number): TelnyxSignatureHeaders {
  const timestampText = String(timestamp);
  const message = Buffer.concat([Buffer.from(`${timestampText}|`), typeof body === "string" ? Buffer.from(body) : body]);
  return {
    "telnyx-timestamp": timestampText,
    "telnyx-signature-ed25519": sign(null, message, privateKey).toString("base64"),
  };
}
