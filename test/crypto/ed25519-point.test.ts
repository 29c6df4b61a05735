import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { generateKeyPairSync } from "node:crypto";
import { describe, test } from "node:test";

import { isEd25519Point } from "../../src/crypto/ed25519-point.ts";
import { parsePublicKey } from "../../src/crypto/public-key.ts";
import { isDeno } from "../support/runtime.ts";

const hex = (text: string): Buffer => Buffer.from(text, "hex");

// RFC 8032 §7.1, TEST 1, 2, 3 and 1024: their public keys.
const RFC_KEYS = [
  "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
  "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
  "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
  "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
];

// y = p = 2^255 - 19 (not reduced), little-endian.
const Y_EQUALS_P = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
// y = 1 gives x = 0 (the neutral point): valid with the sign bit clear, invalid with it set.
const Y_ONE = "0100000000000000000000000000000000000000000000000000000000000000";
const Y_ONE_NEGATIVE_ZERO = "0100000000000000000000000000000000000000000000000000000000000080";
// y = 2: (y²−1)/(d·y²+1) has no square root mod p.
const NOT_ON_CURVE = "0200000000000000000000000000000000000000000000000000000000000000";

describe("isEd25519Point (RFC 8032 §5.1.3)", () => {
  for (const key of RFC_KEYS) {
    test(`accepts the RFC 8032 test key ${key.slice(0, 8)}…`, () => assert.equal(isEd25519Point(hex(key)), true));
  }
  test("accepts 200 freshly generated keys", () => {
    for (let i = 0; i < 200; i++) {
      const raw = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).subarray(12);
      assert.equal(isEd25519Point(raw), true, raw.toString("hex"));
    }
  });
  test("accepts the neutral point (y = 1, x = 0, sign bit clear)", () => assert.equal(isEd25519Point(hex(Y_ONE)), true));
  test("refuses y = p (y must be below p)", () => assert.equal(isEd25519Point(hex(Y_EQUALS_P)), false));
  test("refuses x = 0 with the sign bit set", () => assert.equal(isEd25519Point(hex(Y_ONE_NEGATIVE_ZERO)), false));
  test("refuses a y for which x² has no root", () => assert.equal(isEd25519Point(hex(NOT_ON_CURVE)), false));
  test("refuses other lengths", () => {
    assert.equal(isEd25519Point(hex(RFC_KEYS[0] as string).subarray(1)), false);
    assert.equal(isEd25519Point(Buffer.concat([hex(RFC_KEYS[0] as string), Buffer.of(0)])), false);
  });
  test("refuses about half of all random 32-byte strings (so the check is not vacuous)", () => {
    let refused = 0;
    for (let i = 0; i < 400; i++) if (!isEd25519Point(Buffer.from(Array.from({ length: 32 }, (_, j) => (i * 131 + j * 17 + ((i * j) % 251)) & 255)))) refused++;
    assert.ok(refused > 100 && refused < 300, String(refused));
  });
});

describe("parsePublicKey refuses a key that is not a curve point", () => {
  for (const [name, key] of [["y = p", Y_EQUALS_P], ["x = 0 with the sign bit", Y_ONE_NEGATIVE_ZERO], ["no square root", NOT_ON_CURVE]] as const) {
    test(`base64 of 32 bytes with ${name}: SyntaxError naming the curve, not the key`, () => {
      const text = hex(key).toString("base64");
      assert.equal(text.length, 44);
      assert.throws(() => parsePublicKey(text), (error: Error) => error instanceof SyntaxError && /not a point on the Ed25519 curve/.test(error.message) && !error.message.includes(text));
    });
  }
  test("a PEM block holding a point off the curve is refused too (by the runtime's SPKI parser under Deno)", () => {
    const der = Buffer.concat([hex("302a300506032b6570032100"), hex(NOT_ON_CURVE)]);
    const pem = `-----BEGIN PUBLIC KEY-----\n${der.toString("base64")}\n-----END PUBLIC KEY-----`;
    assert.throws(() => parsePublicKey(pem), isDeno ? /not a valid SPKI public key|not a point on the Ed25519 curve/ : /not a point on the Ed25519 curve/);
  });
  test("the RFC 8032 keys are accepted", () => {
    for (const key of RFC_KEYS) assert.equal(parsePublicKey(hex(key).toString("base64")).asymmetricKeyType, "ed25519");
  });
});
