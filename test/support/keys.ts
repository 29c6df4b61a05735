import { generateKeyPairSync, type KeyObject } from "node:crypto";

/** A fresh Ed25519 key pair, and the public key as Telnyx's portal shows it. */
export interface TestKeys {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  /** Base64 of the raw 32-byte public key. */
  readonly portalKey: string;
}

/** Generates a throwaway key pair for one test. */
export function makeKeys(): TestKeys {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  // SPKI DER of an Ed25519 key is a 12-byte prefix followed by the raw key.
  const portalKey = publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");
  return { publicKey, privateKey, portalKey };
}

/** Unix seconds now. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
