import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createPublicKey, verify } from "node:crypto";
import { describe, test } from "node:test";
import { loadCredentials } from "../../../src/transports/nats/auth.ts";
import { crc16, nkeyFromSeed, parseCreds } from "../../../src/transports/nats/nkeys.ts";

// The vectors of github.com/nats-io/nkeys creds_utils_test.go: a user seed, and the user JWT whose
// subject ("sub") is that seed's public key.
const SEED = "SUAOTBNEUHZDFJT3EUMELT7MQTP24JF3XVCXQNDSCU74G5IU6VAJBKH5LI";
const JWT =
  "eyJ0eXAiOiJqd3QiLCJhbGciOiJlZDI1NTE5LW5rZXkifQ.eyJqdGkiOiJHVDROVU5NRUY3Wk1XQ1JCWFZWVURLUVQ2WllQWjc3VzRKUlFYRDNMMjRIS1VKRUNRSDdRIiwiaWF0IjoxNTkwNzgxNTkzLCJpc3MiOiJBQURXTFRISUNWNFNVQUdGNkVLTlZFVzVCQlA3WVJESUJHV0dHSFo1SkJET1FZQTdHVUZNNkFRVSIsIm5hbWUiOiJPUEVSQVRPUiIsInN1YiI6IlVERTZXVEdMVFRQQ1JKUkpDS0JKUkdWTlpUTElWUjdMRUVFTFI0Q1lXV1dCS0pTN1hZSUtYRFVVIiwibmF0cyI6eyJwdWIiOnt9LCJzdWIiOnt9LCJ0eXBlIjoidXNlciIsInZlcnNpb24iOjJ9fQ.c_XQT04wEoVVNDRjPHeKwe17BOrSpQTcftwIbB7KoNEIz6peZCJDc4-J3emVepHofUOWy7IAo9TlLwYhuGHWAQ";
const PUBLIC = "UDE6WTGLTTPCRJRJCKBJRGVNZTLIVR7LEEELR4CYWWWBKJS7XYIKXDUU";
const CREDS = `-----BEGIN NATS USER JWT-----
${JWT}
------END NATS USER JWT------

************************* IMPORTANT *************************
NKEY Seed printed below can be used to sign and prove identity.

-----BEGIN USER NKEY SEED-----
${SEED}
------END USER NKEY SEED------

*************************************************************
`;

/** The raw Ed25519 key inside an encoded public key (prefix byte, 32 bytes, CRC). */
function rawPublic(encoded: string): Buffer {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const bytes: number[] = [];
  let value = 0;
  let bits = 0;
  for (const char of encoded) {
    value = (value << 5) | alphabet.indexOf(char);
    bits += 5;
    if (bits >= 8) bytes.push((value >> (bits -= 8)) & 0xff);
  }
  return Buffer.from(bytes.slice(1, 33));
}

describe("nkeyFromSeed()", () => {
  test("the seed of nkeys' own tests gives the public key its JWT names as subject", () => {
    assert.equal(nkeyFromSeed(SEED).publicKey, PUBLIC);
    const sub = JSON.parse(Buffer.from(JWT.split(".")[1] as string, "base64url").toString("utf8")).sub;
    assert.equal(sub, PUBLIC);
  });

  test("signs the nonce with Ed25519 (base64url), verifiable with the public key; a tampered nonce does not verify", () => {
    const nonce = Buffer.from("PXoWU7zWAMt75FY");
    const signature = Buffer.from(nkeyFromSeed(SEED).sign(nonce), "base64url");
    assert.equal(signature.length, 64);
    const key = createPublicKey({ key: Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), rawPublic(PUBLIC)]), format: "der", type: "spki" });
    assert.equal(verify(null, nonce, key, signature), true);
    assert.equal(verify(null, Buffer.from("PXoWU7zWAMt75FZ"), key, signature), false);
  });

  test("a changed character fails the checksum; a public key is not a seed; the message never repeats the text", () => {
    const changed = `${SEED.slice(0, 10)}${SEED[10] === "A" ? "B" : "A"}${SEED.slice(11)}`;
    for (const bad of [changed, PUBLIC, "SU!!", ""]) {
      assert.throws(
        () => nkeyFromSeed(bad),
        (error: Error) => error instanceof SyntaxError && (bad === "" || !error.message.includes(bad)),
      );
    }
  });

  test("crc16 is CRC-16/XMODEM (check value of 123456789: 0x31c3)", () => {
    assert.equal(crc16(Buffer.from("123456789")), 0x31c3);
  });
});

describe("parseCreds()", () => {
  test("reads the JWT and the seed of a .creds file, LF or CRLF", () => {
    assert.deepEqual(parseCreds(CREDS), { jwt: JWT, seed: SEED });
    assert.deepEqual(parseCreds(CREDS.replaceAll("\n", "\r\n")), { jwt: JWT, seed: SEED });
  });

  test("a file without both blocks is refused without quoting it", () => {
    assert.throws(() => parseCreds(SEED), (error: Error) => error instanceof SyntaxError && !error.message.includes(SEED));
  });
});

describe("loadCredentials()", () => {
  const files: Record<string, string> = { "/seed": `${SEED}\n`, "/creds": CREDS, "/junk": "not a key" };
  const readFile = (path: string): string => {
    const text = files[path];
    if (text === undefined) throw Object.assign(new Error("no such file"), { code: "ENOENT" });
    return text;
  };

  test("each method gives CONNECT its fields; NKey and creds sign the server's nonce", () => {
    assert.deepEqual(loadCredentials({ kind: "none" }, readFile).connectFields("n"), {});
    assert.deepEqual(loadCredentials({ kind: "user", user: "u", password: "p" }, readFile).connectFields(undefined), { user: "u", pass: "p" });
    assert.deepEqual(loadCredentials({ kind: "token", token: "t" }, readFile).connectFields(undefined), { auth_token: "t" });
    const nkey = loadCredentials({ kind: "nkey", seedFile: "/seed" }, readFile);
    assert.equal(nkey.needsNonce, true);
    assert.deepEqual(nkey.connectFields("abc"), { nkey: PUBLIC, sig: nkeyFromSeed(SEED).sign(Buffer.from("abc")) });
    assert.deepEqual(loadCredentials({ kind: "creds", credsFile: "/creds" }, readFile).connectFields("abc"), { jwt: JWT, sig: nkeyFromSeed(SEED).sign(Buffer.from("abc")) });
  });

  test("a missing or malformed file is an error naming the flag and the file, not its contents", () => {
    assert.throws(() => loadCredentials({ kind: "nkey", seedFile: "/missing" }, readFile), /--nats-nkey: cannot read \/missing: ENOENT/);
    assert.throws(() => loadCredentials({ kind: "creds", credsFile: "/junk" }, readFile), (error: Error) => /--nats-creds: \/junk/.test(error.message) && !error.message.includes("not a key"));
  });
});
