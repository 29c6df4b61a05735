// What CONNECT carries to authenticate, from the configured method and the server's nonce.
import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import type { NatsAuth } from "../../config/nats-config.ts";
import { nkeyFromSeed, parseCreds, type NKeyPair } from "./nkeys.ts";

/** Credentials ready for CONNECT: the files read and the seed decoded, once, at start-up. */
export interface NatsCredentials {
  /** The CONNECT fields for a server that sent `nonce` (undefined: it sent none). */
  connectFields(nonce: string | undefined): Record<string, string>;
  /** Whether a server must send a nonce for these credentials to work (NKey, creds). */
  readonly needsNonce: boolean;
}

/**
 * Reads the configured credentials (the seed or creds file) and returns what builds CONNECT's fields.
 *
 * @param auth The configured method.
 * @param readFile Reads a file as text (injected for tests); may throw.
 * @returns The credentials.
 * @throws {Error} When a file cannot be read or holds no valid seed; the message names the file, never its contents.
 * @example
 * ```ts
 * const credentials = loadCredentials({ kind: "token", token }, (path) => readFileSync(path, "utf8"));
 * credentials.connectFields(info.nonce); // { auth_token: "…" }
 * ```
 */
export function loadCredentials(auth: NatsAuth, readFile: (path: string) => string = (path) => readFileSync(path, "utf8")): NatsCredentials {
  switch (auth.kind) {
    case "none":
      return { connectFields: () => ({}), needsNonce: false };
    case "user":
      return { connectFields: () => ({ user: auth.user, pass: auth.password }), needsNonce: false };
    case "token":
      return { connectFields: () => ({ auth_token: auth.token }), needsNonce: false };
    case "nkey": {
      const pair = readSeed(auth.seedFile, "--nats-nkey", (text) => nkeyFromSeed(text), readFile);
      return signed((sig) => ({ nkey: pair.publicKey, sig }), pair);
    }
    case "creds": {
      let jwt = "";
      const pair = readSeed(auth.credsFile, "--nats-creds", (text) => {
        const creds = parseCreds(text);
        jwt = creds.jwt;
        return nkeyFromSeed(creds.seed);
      }, readFile);
      return signed((sig) => ({ jwt, sig }), pair);
    }
  }
}

function signed(fields: (sig: string) => Record<string, string>, pair: NKeyPair): NatsCredentials {
  return {
    connectFields: (nonce) => (nonce === undefined ? {} : fields(pair.sign(Buffer.from(nonce)))),
    needsNonce: true,
  };
}

function readSeed(path: string, flag: string, read: (text: string) => NKeyPair, readFile: (path: string) => string): NKeyPair {
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    throw new Error(`${flag}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  try {
    return read(text);
  } catch (error) {
    throw new Error(`${flag}: ${path}: ${(error as Error).message}`);
  }
}
