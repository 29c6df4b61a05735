/**
 * NATS NKeys: Ed25519 keys written as base32 (RFC 4648, no padding) of a prefix, the key and a
 * CRC-16/XMODEM (little-endian). A seed (`SU…` for a user) has two prefix bytes: the seed byte
 * (18 << 3) with the high bits of the key's type, then the type's low bits; a public key
 * (`U…`) one. As in github.com/nats-io/nkeys (strkey.go, crc16.go). Only node:crypto.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, sign, type KeyObject } from "node:crypto";

const PREFIX_SEED = 18 << 3;
const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
// PKCS#8 DER of an Ed25519 private key: this prefix, then the 32-byte seed.
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");

/** A key pair read from an NKey seed. Never printed: it holds the private key. */
export interface NKeyPair {
  /** The public key, encoded (`U…` for a user). */
  readonly publicKey: string;
  /** Signs `data` (the server's nonce) and returns the signature as base64url, as CONNECT's `sig` wants it. */
  sign(data: Uint8Array): string;
}

/**
 * Reads an NKey seed.
 *
 * @param seed The encoded seed (`SU…`), surrounding space ignored.
 * @returns The key pair.
 * @throws {SyntaxError} When the text is not a valid seed (bad base32, checksum, prefix or length); the message never repeats it.
 * @example
 * ```ts
 * const pair = nkeyFromSeed("SUAOTBNEUHZDFJT3EUMELT7MQTP24JF3XVCXQNDSCU74G5IU6VAJBKH5LI");
 * pair.publicKey; // "UDE6WTGLTTPCRJRJCKBJRGVNZTLIVR7LEEELR4CYWWWBKJS7XYIKXDUU"
 * ```
 */
export function nkeyFromSeed(seed: string): NKeyPair {
  const raw = checked(seed.trim());
  if (raw.length !== 2 + 32 || ((raw[0] as number) & 0xf8) !== PREFIX_SEED) throw new SyntaxError("not an NKey seed");
  // The key's own type, split over the two prefix bytes.
  const type = (((raw[0] as number) & 7) << 5) | (((raw[1] as number) & 0xf8) >> 3);
  const privateKey: KeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, raw.subarray(2)]), format: "der", type: "pkcs8" });
  const rawPublic = createPublicKey(privateKey).export({ format: "der", type: "spki" }).subarray(-32);
  const publicKey = encode(Buffer.concat([Buffer.from([type]), rawPublic]));
  return {
    publicKey,
    sign: (data) => sign(null, data, privateKey).toString("base64url"),
  };
}

/** What a `.creds` file holds: the user JWT and the user's seed. */
export interface Credentials {
  readonly jwt: string;
  readonly seed: string;
}

/**
 * Reads a `.creds` file as `nsc` writes it: the `BEGIN NATS USER JWT` block, then the `BEGIN USER
 * NKEY SEED` block (CRLF or LF).
 *
 * @param text The file's text.
 * @returns The JWT and the seed.
 * @throws {SyntaxError} When either block is missing; the message never repeats the file.
 * @example
 * ```ts
 * const { jwt, seed } = parseCreds(readFileSync("user.creds", "utf8"));
 * ```
 */
export function parseCreds(text: string): Credentials {
  const blocks = [...text.matchAll(/-{3,}[^\n]*-{3,}\r?\n\s*([\w\-.=]+)\s*\r?\n\s*-{3,}[^\n]*-{3,}/g)].map((match) => match[1] as string);
  const jwt = blocks[0];
  const seed = blocks[1];
  if (jwt === undefined || seed === undefined) throw new SyntaxError("not a .creds file: expected a NATS USER JWT block and a USER NKEY SEED block");
  return { jwt, seed };
}

/** Decodes base32 and checks the CRC; returns the bytes before the CRC. */
function checked(text: string): Buffer {
  const bytes = decodeBase32(text);
  if (bytes === undefined || bytes.length < 3) throw new SyntaxError("not an NKey: bad base32");
  const body = bytes.subarray(0, bytes.length - 2);
  if (crc16(body) !== bytes.readUInt16LE(bytes.length - 2)) throw new SyntaxError("not an NKey: bad checksum");
  return body;
}

/** Base32 with the CRC appended (how a public key is written). */
function encode(body: Buffer): string {
  const crc = Buffer.alloc(2);
  crc.writeUInt16LE(crc16(body));
  return encodeBase32(Buffer.concat([body, crc]));
}

function decodeBase32(text: string): Buffer | undefined {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text) {
    const index = ALPHABET.indexOf(char);
    if (index === -1) return undefined;
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

function encodeBase32(bytes: Buffer): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(value >> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

/**
 * CRC-16/XMODEM (polynomial 0x1021, initial 0), as nkeys' crc16.go.
 *
 * @param data The bytes.
 * @returns The checksum.
 * @example
 * ```ts
 * crc16(Buffer.from("123456789")); // 0x31c3
 * ```
 */
export function crc16(data: Uint8Array): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
