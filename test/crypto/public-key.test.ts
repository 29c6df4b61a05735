import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { describe, test } from "node:test";

import { parsePublicKey } from "../../src/crypto/public-key.ts";
import { verifyMessage } from "../../src/pipeline/verify.ts";

const MESSAGE = Buffer.from("1700000000|CallSid=v3%3Aabc");

/** Base64 of the raw 32-byte public key, as the Telnyx portal shows it. */
function portalKeyOf(publicKey: KeyObject): string {
  return publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");
}

function pemOf(publicKey: KeyObject): string {
  return publicKey.export({ format: "pem", type: "spki" }) as string;
}

/** Asserts that parsing throws the given class and that the message repeats none of the key text. */
function assertRefused(text: string, errorClass: typeof SyntaxError | typeof TypeError, secret: readonly string[] = [text.trim()]): void {
  let caught: unknown;
  try {
    parsePublicKey(text);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof errorClass, `expected ${errorClass.name}, got ${String(caught)}`);
  assert.equal(caught.constructor, errorClass);
  const message = caught.message;
  assert.match(message, /public key/);
  for (const piece of secret) {
    // Any 12-character run of the key text would be a leak; shorter inputs are checked whole.
    const probes = piece.length <= 12 ? [piece] : [...Array(piece.length - 11).keys()].map((i) => piece.slice(i, i + 12));
    for (const probe of probes) {
      if (probe.trim().length < 4) continue; // too short to mean anything (e.g. "" or "=")
      assert.ok(!message.includes(probe), `message ${JSON.stringify(message)} repeats ${JSON.stringify(probe)}`);
    }
  }
}

describe("parsePublicKey() accepts", () => {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const signature = sign(null, MESSAGE, privateKey);
  const portalKey = portalKeyOf(publicKey);
  const pem = pemOf(publicKey);

  const accepted: ReadonlyArray<readonly [string, string]> = [
    ["standard base64 of the raw 32 bytes, as the portal shows it", portalKey],
    ["the base64 key with surrounding spaces", `  ${portalKey}  `],
    ["the base64 key with a trailing newline (a key file)", `${portalKey}\n`],
    ["the base64 key with surrounding tabs and CRLF", `\t${portalKey}\r\n`],
    ["a PEM SPKI block", pem],
    ["a PEM SPKI block with surrounding blank lines", `\n\n${pem}\n`],
    ["a PEM SPKI block with CRLF line ends", pem.replace(/\n/g, "\r\n")],
  ];
  for (const [name, text] of accepted) {
    test(`parsePublicKey() accepts ${name}, giving a key that verifies the signer's signature`, () => {
      const key = parsePublicKey(text);
      assert.equal(key.type, "public");
      assert.equal(key.asymmetricKeyType, "ed25519");
      assert.equal(portalKeyOf(key), portalKey);
      assert.equal(verifyMessage([key], MESSAGE, signature), true);
    });

    test(`parsePublicKey() of ${name} gives a key that rejects a tampered message`, () => {
      const tampered = Buffer.from(MESSAGE);
      tampered[0] = (tampered[0] as number) ^ 0x01;
      assert.equal(verifyMessage([parsePublicKey(text)], tampered, signature), false);
    });
  }

  test("parsePublicKey() gives equal keys for the base64 and the PEM forms of one key", () => {
    assert.ok(parsePublicKey(portalKey).equals(parsePublicKey(pem)));
  });

  test("parsePublicKey() of another signer's key does not verify this signer's signature", () => {
    const other = generateKeyPairSync("ed25519").publicKey;
    assert.equal(verifyMessage([parsePublicKey(portalKeyOf(other))], MESSAGE, signature), false);
    assert.equal(verifyMessage([parsePublicKey(pemOf(other))], MESSAGE, signature), false);
  });
});

describe("parsePublicKey() refuses", () => {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const portalKey = portalKeyOf(publicKey);
  const raw = Buffer.from(portalKey, "base64");
  const pem = pemOf(publicKey);
  const pemBody = pem.split("\n").slice(1, -2).join("");

  /** A portal key whose base64 holds + or /, so that its URL-safe spelling differs. */
  function keyWithPlusOrSlash(): string {
    for (let i = 0; i < 1000; i++) {
      const candidate = portalKeyOf(generateKeyPairSync("ed25519").publicKey);
      if (/[+/]/.test(candidate)) return candidate;
    }
    throw new Error("no key with + or / in 1000 tries");
  }
  const plusKey = keyWithPlusOrSlash();

  /** 32 bytes = 10 groups of 3 and 2 bytes: "XYZ=", where Z carries 2 unused bits. Set one. */
  function nonCanonical(text: string): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const last = text.length - 2;
    return text.slice(0, last) + alphabet[alphabet.indexOf(text[last] as string) | 0x01] + text.slice(last + 1);
  }

  const syntaxErrors: ReadonlyArray<readonly [string, string]> = [
    ["the empty string", ""],
    ["whitespace only", " \n\t "],
    ["base64 of 31 bytes", raw.subarray(0, 31).toString("base64")],
    ["base64 of 33 bytes", Buffer.concat([raw, Buffer.from([0])]).toString("base64")],
    ["the URL-safe alphabet variant of a key", plusKey.replace(/\+/g, "-").replace(/\//g, "_")],
    ["a key without its padding", portalKey.slice(0, -1)],
    ["a key with a space inside", `${portalKey.slice(0, 20)} ${portalKey.slice(20)}`],
    ["a key with trailing garbage", `${portalKey}AAAA`],
    ["a non-canonical spelling of a key (non-zero unused bits)", nonCanonical(portalKey)],
    ["the key in hex", raw.toString("hex")],
    ["base64 of the SPKI DER without PEM armour", pemBody],
    ["a PEM private key (PKCS#8)", privateKey.export({ format: "pem", type: "pkcs8" }) as string],
    ["a PEM block of the wrong label (RSA PUBLIC KEY)", pem.replace(/PUBLIC KEY/g, "RSA PUBLIC KEY")],
    ["a PEM PUBLIC KEY block with garbage inside", "-----BEGIN PUBLIC KEY-----\nnot base64 at all\n-----END PUBLIC KEY-----\n"],
    ["a PEM PUBLIC KEY block with a corrupted body", pem.replace(pemBody.slice(0, 8), "AAAAAAAA")],
    ["a PEM PUBLIC KEY block without its END line", pem.split("\n").slice(0, -2).join("\n")],
  ];
  for (const [name, text] of syntaxErrors) {
    test(`parsePublicKey() throws SyntaxError for ${name}, without repeating it`, () => {
      assertRefused(text, SyntaxError, [text.trim(), pemBody]);
    });
  }

  test("the non-canonical and URL-safe keys above would pass a lenient decoder (the refusals are meaningful)", () => {
    assert.deepEqual(Buffer.from(nonCanonical(portalKey), "base64"), raw);
    assert.deepEqual(Buffer.from(plusKey.replace(/\+/g, "-").replace(/\//g, "_"), "base64"), Buffer.from(plusKey, "base64"));
    assert.deepEqual(Buffer.from(portalKey.slice(0, -1), "base64"), raw);
  });

  const wrongTypes: ReadonlyArray<readonly [string, () => KeyObject]> = [
    ["RSA", () => generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey],
    ["X25519", () => generateKeyPairSync("x25519").publicKey],
    ["Ed448", () => generateKeyPairSync("ed448").publicKey],
    ["EC P-256", () => generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey],
  ];
  for (const [name, make] of wrongTypes) {
    test(`parsePublicKey() throws TypeError for a PEM SPKI ${name} key, without repeating it`, () => {
      const otherPem = pemOf(make());
      assertRefused(otherPem, TypeError, [otherPem.split("\n").slice(1, -2).join("")]);
    });
  }

  // OpenSSL's PEM reader skips text it cannot use and derives a public key from a private one, so
  // the text must be exactly one PUBLIC KEY block (the first version only checked the first line).
  test("parsePublicKey() refuses a private key hidden after a broken PUBLIC KEY block", () => {
    const text = `-----BEGIN PUBLIC KEY-----\ngarbage\n-----END PUBLIC KEY-----\n${privateKey.export({ format: "pem", type: "pkcs8" }) as string}`;
    assertRefused(text, SyntaxError, [pemBody]);
  });

  test("parsePublicKey() refuses a text holding two PEM blocks instead of silently using only the first", () => {
    const other = generateKeyPairSync("ed25519").publicKey;
    assertRefused(pem + pemOf(other), SyntaxError, [pemBody]);
  });

  test("parsePublicKey() refuses text before or after the PEM block", () => {
    assertRefused(`-----BEGIN PUBLIC KEY-----XYZ\n${pem}`, SyntaxError, [pemBody]);
    assertRefused(`${pem}trailing junk`, SyntaxError, [pemBody]);
    assertRefused(`${pem.trim()}\n-----BEGIN PUBLIC KEY-----`, SyntaxError, [pemBody]);
  });
});
