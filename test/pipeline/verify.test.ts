// The Telnyx signature check: RFC 8032 known answers through verifyMessage, then createVerifier
// against tampered, hostile and misconfigured input. Keys are generated here, except the RFC's.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { describe, test } from "node:test";

import { isEd25519Point } from "../../src/crypto/ed25519-point.ts";
import { parsePublicKey } from "../../src/crypto/public-key.ts";
import type { Rejection } from "../../src/pipeline/rejection.ts";
import { signDelivery } from "../../src/crypto/sign.ts";
import { createVerifier, verifyMessage, type HeaderValue, type Verified, type Verifier } from "../../src/pipeline/verify.ts";

// A whole second, so that "exactly 300 s away" is exact.
const NOW_SECONDS = 1_700_000_000;
const NOW_MS = NOW_SECONDS * 1000;
const BODY_TEXT =
  "AccountSid=f5586561-8ff0-4291-a51b-c7dfe4139ff9&CallSid=v3%3Aabc&CallSidLegacy=v3%3Aabc" +
  "&ReferCallStatus=in-progress&Timestamp=2024-01-15T10%3A30%3A00Z";
const encoder = new TextEncoder();

interface Signer {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Base64 of the raw 32-byte public key, as the Telnyx portal shows it. */
  readonly portalKey: string;
}

function makeSigner(): Signer {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return { publicKey, privateKey, portalKey: rawPublicKey(publicKey).toString("base64") };
}

/** The raw 32 bytes of an Ed25519 public key (SPKI DER is a 12-byte prefix and the key). */
function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: "der", type: "spki" }).subarray(12);
}

/** Signs arbitrary header text the way a (possibly hostile) signer would: `<text>|<body>`. */
function signRaw(privateKey: KeyObject, timestampText: string, body: Uint8Array | string, separator = "|"): string {
  const message = Buffer.concat([Buffer.from(`${timestampText}${separator}`), typeof body === "string" ? Buffer.from(body) : body]);
  return sign(null, message, privateKey).toString("base64");
}

function verifierFor(keys: readonly KeyObject[], toleranceSeconds = 300, nowMs = NOW_MS): Verifier {
  return createVerifier({ keys, toleranceSeconds, now: () => nowMs });
}

/** "ok" or the rejection reason, so one assertion says which outcome happened. */
function outcome(result: Verified | Rejection): string {
  return result.ok ? "ok" : result.reason;
}

function hex(text: string): Buffer {
  return Buffer.from(text, "hex");
}

/** A copy with one bit flipped (bit 0 of the byte at `index`). */
function flipBit(bytes: Uint8Array, index = 0): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] = (copy[index] as number) ^ 0x01;
  return copy;
}

// RFC 8032 section 7.1 (Ed25519). SECRET KEY is the 32-byte seed.
const RFC_8032_VECTORS = [
  {
    name: "TEST 1",
    secretKey: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    publicKey: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    message: "",
    signature:
      "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
  },
  {
    name: "TEST 2",
    secretKey: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    publicKey: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    message: "72",
    signature:
      "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
  },
  {
    name: "TEST 3",
    secretKey: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
    publicKey: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
    message: "af82",
    signature:
      "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
  },
  {
    name: "TEST SHA(abc)",
    secretKey: "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
    publicKey: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
    // SHA-512("abc")
    message:
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    signature:
      "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
  },
] as const;

// PKCS#8 DER of an Ed25519 private key is this prefix followed by the 32-byte seed (RFC 8410).
const PKCS8_ED25519_PREFIX = "302e020100300506032b657004220420";

function rfcPrivateKey(secretKeyHex: string): KeyObject {
  return createPrivateKey({ key: hex(PKCS8_ED25519_PREFIX + secretKeyHex), format: "der", type: "pkcs8" });
}

function rfcPublicKey(publicKeyHex: string): KeyObject {
  return parsePublicKey(hex(publicKeyHex).toString("base64"));
}

describe("verifyMessage() with the RFC 8032 section 7.1 test vectors", () => {
  for (const vector of RFC_8032_VECTORS) {
    test(`the ${vector.name} vector is transcribed correctly: its secret key derives its public key and reproduces its signature`, () => {
      const privateKey = rfcPrivateKey(vector.secretKey);
      assert.equal(rawPublicKey(createPublicKey(privateKey)).toString("hex"), vector.publicKey);
      // Ed25519 is deterministic: the same key and message give the same signature, byte for byte.
      assert.equal(sign(null, hex(vector.message), privateKey).toString("hex"), vector.signature);
    });

    test(`verifyMessage() accepts ${vector.name} with a key from parsePublicKey()`, () => {
      assert.equal(verifyMessage([rfcPublicKey(vector.publicKey)], hex(vector.message), hex(vector.signature)), true);
    });

    test(`verifyMessage() rejects ${vector.name} with one bit of the message changed`, () => {
      const message = hex(vector.message);
      // TEST 1 signs the empty message: there is no bit to flip, so one zero byte is added instead.
      const tampered = message.length === 0 ? Buffer.from([0]) : flipBit(message);
      assert.equal(verifyMessage([rfcPublicKey(vector.publicKey)], tampered, hex(vector.signature)), false);
    });

    test(`verifyMessage() rejects ${vector.name} with one bit of the signature's R or S changed`, () => {
      const key = rfcPublicKey(vector.publicKey);
      assert.equal(verifyMessage([key], hex(vector.message), flipBit(hex(vector.signature), 0)), false);
      assert.equal(verifyMessage([key], hex(vector.message), flipBit(hex(vector.signature), 32)), false);
    });

    // One bit changed may leave a point on the curve (then the signature must not verify) or not
    // (then parsePublicKey refuses it on every runtime): either way nothing verifies.
    test(`verifyMessage() rejects ${vector.name} under a public key with one bit changed`, () => {
      let key;
      try {
        key = parsePublicKey(flipBit(hex(vector.publicKey)).toString("base64"));
      } catch (error) {
        assert.match((error as Error).message, /not a point on the Ed25519 curve/);
        return;
      }
      assert.equal(verifyMessage([key], hex(vector.message), hex(vector.signature)), false);
    });
    test(`verifyMessage() rejects ${vector.name} under every one-byte change of its public key that is still a point`, () => {
      const points = [...Array(32).keys()].map((index) => flipBit(hex(vector.publicKey), index)).filter((key) => isEd25519Point(key));
      assert.ok(points.length > 0, "some changed keys are points on the curve");
      for (const key of points) assert.equal(verifyMessage([parsePublicKey(key.toString("base64"))], hex(vector.message), hex(vector.signature)), false);
    });
  }

  test("verifyMessage() accepts when any one of several keys matches, whatever its position", () => {
    const [first, second] = RFC_8032_VECTORS;
    const keys = [rfcPublicKey(first.publicKey), rfcPublicKey(second.publicKey)];
    assert.equal(verifyMessage(keys, hex(second.message), hex(second.signature)), true);
    assert.equal(verifyMessage([...keys].reverse(), hex(second.message), hex(second.signature)), true);
    assert.equal(verifyMessage(keys, hex(second.message), hex(first.signature)), false);
  });

  test("verifyMessage() returns false with no keys at all", () => {
    const [first] = RFC_8032_VECTORS;
    assert.equal(verifyMessage([], hex(first.message), hex(first.signature)), false);
  });

  test("verifyMessage() counts a key that makes the crypto call throw as no match, and still tries the others", () => {
    const [, second] = RFC_8032_VECTORS;
    const x25519 = generateKeyPairSync("x25519").publicKey;
    const rsa = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey;
    assert.equal(verifyMessage([x25519, rsa], hex(second.message), hex(second.signature)), false);
    assert.equal(verifyMessage([x25519, rsa, rfcPublicKey(second.publicKey)], hex(second.message), hex(second.signature)), true);
  });

  test("verifyMessage() rejects a signature of the wrong length instead of throwing", () => {
    const [, second] = RFC_8032_VECTORS;
    const key = rfcPublicKey(second.publicKey);
    const signature = hex(second.signature);
    assert.equal(verifyMessage([key], hex(second.message), signature.subarray(0, 63)), false);
    assert.equal(verifyMessage([key], hex(second.message), Buffer.concat([signature, Buffer.from([0])])), false);
    assert.equal(verifyMessage([key], hex(second.message), new Uint8Array(0)), false);
  });
});

describe("signDelivery() and createVerifier() with the RFC 8032 TEST 1 key", () => {
  const [test1] = RFC_8032_VECTORS;
  const privateKey = rfcPrivateKey(test1.secretKey);
  const verify = verifierFor([rfcPublicKey(test1.publicKey)]);

  test("signDelivery() signs exactly `<timestamp>|<body>` with the given key", () => {
    const headers = signDelivery(privateKey, BODY_TEXT, NOW_SECONDS);
    assert.equal(headers["telnyx-timestamp"], "1700000000");
    const expected = sign(null, Buffer.from(`1700000000|${BODY_TEXT}`), privateKey).toString("base64");
    assert.equal(headers["telnyx-signature-ed25519"], expected);
    assert.equal(
      verifyMessage([rfcPublicKey(test1.publicKey)], Buffer.from(`1700000000|${BODY_TEXT}`), Buffer.from(expected, "base64")),
      true,
    );
  });

  test("signDelivery() gives the same headers for a body as text and as its UTF-8 bytes", () => {
    const text = "Note=caf%C3%A9&Raw=café";
    assert.deepEqual(signDelivery(privateKey, text, NOW_SECONDS), signDelivery(privateKey, encoder.encode(text), NOW_SECONDS));
  });

  test("a delivery signed by signDelivery() with the TEST 1 key passes createVerifier() end to end", () => {
    const headers = signDelivery(privateKey, BODY_TEXT, NOW_SECONDS);
    const body = encoder.encode(BODY_TEXT);
    const result = verify(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], body);
    assert.equal(outcome(result), "ok");
  });

  test("a delivery signed by signDelivery() with the TEST 1 key fails createVerifier() when one body byte changes", () => {
    const headers = signDelivery(privateKey, BODY_TEXT, NOW_SECONDS);
    const result = verify(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], flipBit(encoder.encode(BODY_TEXT), 5));
    assert.equal(outcome(result), "bad_signature");
  });
});

describe("createVerifier() round trips and tampering", () => {
  const signer = makeSigner();
  const verify = verifierFor([parsePublicKey(signer.portalKey)]);
  const body = encoder.encode(BODY_TEXT);
  const headers = signDelivery(signer.privateKey, body, NOW_SECONDS);

  test("createVerifier() passes a valid delivery and returns the same body bytes and the numeric timestamp", () => {
    const result = verify(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], body);
    assert.equal(result.ok, true);
    if (!result.ok) return;
    assert.equal(result.timestamp, NOW_SECONDS);
    assert.equal(result.body, body);
    assert.deepEqual(Buffer.from(result.body), Buffer.from(BODY_TEXT));
  });

  test("createVerifier() passes an empty body signed as `<timestamp>|`", () => {
    const empty = new Uint8Array(0);
    const signed = signDelivery(signer.privateKey, empty, NOW_SECONDS);
    assert.equal(outcome(verify(signed["telnyx-timestamp"], signed["telnyx-signature-ed25519"], empty)), "ok");
    assert.equal(outcome(verify(signed["telnyx-timestamp"], signed["telnyx-signature-ed25519"], Uint8Array.of(0x20))), "bad_signature");
  });

  test("createVerifier() verifies raw body bytes that are not valid UTF-8, and rejects their UTF-8 re-decoding", () => {
    const raw = Uint8Array.of(0x61, 0x3d, 0xff, 0xfe, 0x26, 0x62, 0x3d, 0xc3);
    const signed = signDelivery(signer.privateKey, raw, NOW_SECONDS);
    assert.equal(outcome(verify(signed["telnyx-timestamp"], signed["telnyx-signature-ed25519"], raw)), "ok");
    const reencoded = encoder.encode(new TextDecoder().decode(raw)); // invalid bytes became U+FFFD
    assert.equal(outcome(verify(signed["telnyx-timestamp"], signed["telnyx-signature-ed25519"], reencoded)), "bad_signature");
  });

  const tamperedBodies: ReadonlyArray<readonly [string, Uint8Array]> = [
    ["one bit of the first byte changed", flipBit(body, 0)],
    ["one bit of the last byte changed", flipBit(body, body.length - 1)],
    ["the last byte cut off", body.subarray(0, body.length - 1)],
    ["a byte added", Buffer.concat([body, Buffer.from("&")])],
    ["an empty body", new Uint8Array(0)],
    ["a field appended", Buffer.concat([body, Buffer.from("&ReferSipResponseCode=202")])],
  ];
  for (const [name, tampered] of tamperedBodies) {
    test(`createVerifier() rejects the body with ${name} as bad_signature`, () => {
      assert.equal(outcome(verify(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], tampered)), "bad_signature");
    });
  }

  test("createVerifier() rejects a telnyx-timestamp header changed after signing as bad_signature", () => {
    for (const changed of [String(NOW_SECONDS + 1), String(NOW_SECONDS - 1), String(NOW_SECONDS - 120)]) {
      assert.equal(outcome(verify(changed, headers["telnyx-signature-ed25519"], body)), "bad_signature", changed);
    }
  });

  test("createVerifier() refuses a timestamp with a leading zero, signed as sent or not: one text per second", () => {
    // "01700000000" is the same number as Telnyx's "1700000000" but not the same text. Telnyx never
    // sends one; a non-canonical form is refused before the signature is looked at.
    assert.equal(outcome(verify(`0${NOW_SECONDS}`, headers["telnyx-signature-ed25519"], body)), "malformed_timestamp");
    const signedWithZero = signRaw(signer.privateKey, `0${NOW_SECONDS}`, body);
    assert.equal(outcome(verify(`0${NOW_SECONDS}`, signedWithZero, body)), "malformed_timestamp");
  });

  test("createVerifier() rejects a signature made by another key as bad_signature", () => {
    const other = makeSigner();
    const forged = signDelivery(other.privateKey, body, NOW_SECONDS);
    assert.equal(outcome(verify(forged["telnyx-timestamp"], forged["telnyx-signature-ed25519"], body)), "bad_signature");
  });

  test("createVerifier() rejects a signature over `<timestamp>.<body>` (the wrong separator) as bad_signature", () => {
    const dotted = signRaw(signer.privateKey, String(NOW_SECONDS), body, ".");
    assert.equal(outcome(verify(String(NOW_SECONDS), dotted, body)), "bad_signature");
    // The twin: the same helper with "|" is accepted, so the separator is the only difference.
    const piped = signRaw(signer.privateKey, String(NOW_SECONDS), body, "|");
    assert.equal(outcome(verify(String(NOW_SECONDS), piped, body)), "ok");
  });

  test("createVerifier() rejects a Standard Webhooks style signature over `<id>.<timestamp>.<body>`", () => {
    const standard = sign(null, Buffer.from(`msg_123.${NOW_SECONDS}.${BODY_TEXT}`), signer.privateKey).toString("base64");
    assert.equal(outcome(verify(String(NOW_SECONDS), standard, body)), "bad_signature");
  });

  test("createVerifier() rejects a signature over a re-serialised body: + instead of %20, or decoded text", () => {
    const raw = "CallSid=v3%3Aabc&Note=a%20b";
    const reserialised = ["CallSid=v3%3Aabc&Note=a+b", "CallSid=v3:abc&Note=a b", new URLSearchParams(raw).toString()];
    for (const signedText of reserialised) {
      assert.notEqual(signedText, raw);
      const signature = signRaw(signer.privateKey, String(NOW_SECONDS), signedText);
      assert.equal(outcome(verify(String(NOW_SECONDS), signature, encoder.encode(raw))), "bad_signature", signedText);
    }
    // The twin: signing the raw bytes themselves passes.
    assert.equal(outcome(verify(String(NOW_SECONDS), signRaw(signer.privateKey, String(NOW_SECONDS), raw), encoder.encode(raw))), "ok");
  });

  test("createVerifier() rejects a signature over a re-serialised JSON body", () => {
    const raw = '{"data": {"event_type": "call.refer.failed"}}';
    const signedText = JSON.stringify(JSON.parse(raw));
    const signature = signRaw(signer.privateKey, String(NOW_SECONDS), signedText);
    assert.equal(outcome(verify(String(NOW_SECONDS), signature, encoder.encode(raw))), "bad_signature");
    assert.equal(outcome(verify(String(NOW_SECONDS), signature, encoder.encode(signedText))), "ok");
  });
});

describe("createVerifier() with several keys (rotation)", () => {
  const oldSigner = makeSigner();
  const newSigner = makeSigner();
  const stranger = makeSigner();
  const body = encoder.encode(BODY_TEXT);

  for (const order of ["old, new", "new, old"] as const) {
    test(`createVerifier() accepts a delivery signed by either configured key (keys given as ${order})`, () => {
      const keys = [parsePublicKey(oldSigner.portalKey), parsePublicKey(newSigner.portalKey)];
      const verify = verifierFor(order === "old, new" ? keys : keys.reverse());
      for (const signer of [oldSigner, newSigner]) {
        const headers = signDelivery(signer.privateKey, body, NOW_SECONDS);
        assert.equal(outcome(verify(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], body)), "ok");
      }
    });
  }

  test("createVerifier() with several keys rejects a delivery signed by a key that is not configured", () => {
    const verify = verifierFor([parsePublicKey(oldSigner.portalKey), parsePublicKey(newSigner.portalKey)]);
    const headers = signDelivery(stranger.privateKey, body, NOW_SECONDS);
    assert.equal(outcome(verify(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], body)), "bad_signature");
  });

  test("createVerifier() keeps its own copy of the keys: emptying the caller's array later does not disable checking", () => {
    const keys = [parsePublicKey(oldSigner.portalKey)];
    const verify = verifierFor(keys);
    keys.length = 0;
    const good = signDelivery(oldSigner.privateKey, body, NOW_SECONDS);
    const forged = signDelivery(stranger.privateKey, body, NOW_SECONDS);
    assert.equal(outcome(verify(good["telnyx-timestamp"], good["telnyx-signature-ed25519"], body)), "ok");
    assert.equal(outcome(verify(forged["telnyx-timestamp"], forged["telnyx-signature-ed25519"], body)), "bad_signature");
  });

  test("createVerifier() rejects every delivery when its only key is not an Ed25519 key (fails closed)", () => {
    const x25519 = generateKeyPairSync("x25519").publicKey;
    const verify = verifierFor([x25519]);
    const headers = signDelivery(oldSigner.privateKey, body, NOW_SECONDS);
    assert.equal(outcome(verify(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], body)), "bad_signature");
  });
});

describe("createVerifier() with hostile telnyx-timestamp headers", () => {
  const signer = makeSigner();
  const verify = verifierFor([parsePublicKey(signer.portalKey)]);
  const body = encoder.encode(BODY_TEXT);

  // Each header is signed as-is by the signer, so the signature matches the bytes and only the
  // timestamp rule can turn it away: the check that parseInt/Number-based verifiers lacked.
  const hostile: ReadonlyArray<readonly [string, string, string]> = [
    ["the empty string", "", "missing_header"],
    ["a leading space", ` ${NOW_SECONDS}`, "malformed_timestamp"],
    ["a trailing space", `${NOW_SECONDS} `, "malformed_timestamp"],
    ["a trailing newline", `${NOW_SECONDS}\n`, "malformed_timestamp"],
    ["a leading tab", `\t${NOW_SECONDS}`, "malformed_timestamp"],
    ["a leading plus sign", `+${NOW_SECONDS}`, "malformed_timestamp"],
    ["a leading minus sign", `-${NOW_SECONDS}`, "malformed_timestamp"],
    ["a fraction", `${NOW_SECONDS}.0`, "malformed_timestamp"],
    ["an exponent", "1.7e9", "malformed_timestamp"],
    ["an integer exponent", "17e8", "malformed_timestamp"],
    ["hexadecimal", "0x6553f100", "malformed_timestamp"],
    ["NaN", "NaN", "malformed_timestamp"],
    ["Infinity", "Infinity", "malformed_timestamp"],
    ["letters", "abc", "malformed_timestamp"],
    ["digits followed by letters (parseInt would stop there)", `${NOW_SECONDS}abc`, "malformed_timestamp"],
    ["Arabic-Indic digits", "١٧٠٠٠٠٠٠٠٠", "malformed_timestamp"],
    ["full-width digits", "１７００００００００", "malformed_timestamp"],
    ["16 digits", "1700000000000000", "malformed_timestamp"],
    ["milliseconds instead of seconds (13 digits, far in the future)", String(NOW_MS), "stale_timestamp"],
    ["24 digits", "170000000000000000000000", "malformed_timestamp"],
    ["0", "0", "stale_timestamp"],
    ["a leading zero", `0${NOW_SECONDS}`, "malformed_timestamp"],
    ["two leading zeros", `00${NOW_SECONDS}`, "malformed_timestamp"],
    ["00", "00", "malformed_timestamp"],
    ["a zero-padded small number", "0000000123", "malformed_timestamp"],
    ["15 nines", "999999999999999", "stale_timestamp"],
    ["now - 301 s", String(NOW_SECONDS - 301), "stale_timestamp"],
    ["now + 301 s", String(NOW_SECONDS + 301), "stale_timestamp"],
  ];
  for (const [name, header, reason] of hostile) {
    test(`createVerifier() rejects a timestamp that is ${name} as ${reason}, even with a matching signature`, () => {
      const result = verify(header, signRaw(signer.privateKey, header, body), body);
      assert.equal(outcome(result), reason);
    });
  }

  test("createVerifier() accepts a timestamp exactly 300 s old or 300 s ahead (the tolerance is inclusive)", () => {
    for (const timestamp of [NOW_SECONDS - 300, NOW_SECONDS + 300, NOW_SECONDS]) {
      const headers = signDelivery(signer.privateKey, body, timestamp);
      const result = verify(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], body);
      assert.equal(outcome(result), "ok", String(timestamp));
      assert.equal(result.ok && result.timestamp, timestamp);
    }
  });

  test("createVerifier() says which way a stale timestamp is off", () => {
    const old = verify(String(NOW_SECONDS - 301), signRaw(signer.privateKey, String(NOW_SECONDS - 301), body), body);
    const future = verify(String(NOW_SECONDS + 301), signRaw(signer.privateKey, String(NOW_SECONDS + 301), body), body);
    assert.ok(!old.ok && /301 s old/.test(old.detail), old.ok ? "ok" : old.detail);
    assert.ok(!future.ok && /301 s in the future/.test(future.detail), future.ok ? "ok" : future.detail);
  });

  test("createVerifier() with tolerance 0 accepts only the current second", () => {
    const strict = verifierFor([parsePublicKey(signer.portalKey)], 0);
    for (const [timestamp, expected] of [
      [NOW_SECONDS, "ok"],
      [NOW_SECONDS - 1, "stale_timestamp"],
      [NOW_SECONDS + 1, "stale_timestamp"],
    ] as const) {
      const headers = signDelivery(signer.privateKey, body, timestamp);
      assert.equal(outcome(strict(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], body)), expected, String(timestamp));
    }
  });

  test("createVerifier() reads the injected clock on every call", () => {
    let nowMs = NOW_MS;
    const moving = createVerifier({ keys: [parsePublicKey(signer.portalKey)], toleranceSeconds: 300, now: () => nowMs });
    const headers = signDelivery(signer.privateKey, body, NOW_SECONDS);
    assert.equal(outcome(moving(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], body)), "ok");
    nowMs += 301_000;
    assert.equal(outcome(moving(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], body)), "stale_timestamp");
  });
});

describe("createVerifier() with hostile telnyx-signature-ed25519 headers", () => {
  const signer = makeSigner();
  const verify = verifierFor([parsePublicKey(signer.portalKey)]);

  /** A delivery whose signature's base64 holds `+` or `/`, so its URL-safe spelling differs. */
  function deliveryWithPlusOrSlash(): { body: Uint8Array; signature: string } {
    for (let i = 0; i < 1000; i++) {
      const body = encoder.encode(`${BODY_TEXT}&n=${i}`);
      const signature = signDelivery(signer.privateKey, body, NOW_SECONDS)["telnyx-signature-ed25519"];
      if (/[+/]/.test(signature)) return { body, signature };
    }
    throw new Error("no signature with + or / in 1000 tries");
  }
  const { body, signature } = deliveryWithPlusOrSlash();
  const timestamp = String(NOW_SECONDS);
  const signatureBytes = Buffer.from(signature, "base64");

  /** 64 bytes = 21 groups of 3 and 1 byte: "XY==", where Y carries 4 unused bits. Set one of them. */
  function nonCanonical(text: string): string {
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const last = text.length - 3;
    const value = alphabet.indexOf(text[last] as string);
    return text.slice(0, last) + alphabet[value | 0x01] + text.slice(last + 1);
  }

  test("the test signature is valid, and its hostile spellings decode leniently to the same bytes", () => {
    // Guards the table below: each spelling is the same signature to Node's lenient decoder, so a
    // verifier that used Buffer.from(text, "base64") would accept it.
    assert.equal(outcome(verify(timestamp, signature, body)), "ok");
    assert.equal(signature.length, 88);
    assert.ok(signature.endsWith("=="));
    for (const spelling of [
      signature.replace(/\+/g, "-").replace(/\//g, "_"),
      signature.slice(0, -2),
      `${signature.slice(0, 10)} ${signature.slice(10)}`,
      `${signature.slice(0, 44)}\n${signature.slice(44)}`,
      nonCanonical(signature),
    ]) {
      assert.notEqual(spelling, signature);
      assert.deepEqual(Buffer.from(spelling, "base64"), signatureBytes, spelling);
    }
  });

  const hostile: ReadonlyArray<readonly [string, HeaderValue, string]> = [
    ["missing", undefined, "missing_header"],
    ["the empty string", "", "missing_header"],
    ["an empty array", [], "missing_header"],
    ["an array of one empty string", [""], "missing_header"],
    ["repeated (an array of the valid signature twice)", [signature, signature], "repeated_header"],
    ["repeated (an array of a valid and an invalid value)", [signature, "AAAA"], "repeated_header"],
    ["not base64", "this is not base64!", "malformed_signature"],
    ["the URL-safe alphabet variant of the valid signature", signature.replace(/\+/g, "-").replace(/\//g, "_"), "malformed_signature"],
    ["the valid signature without its padding", signature.slice(0, -2), "malformed_signature"],
    ["the valid signature with one = of padding missing", signature.slice(0, -1), "malformed_signature"],
    ["the valid signature with a space inside", `${signature.slice(0, 10)} ${signature.slice(10)}`, "malformed_signature"],
    ["the valid signature with a newline inside", `${signature.slice(0, 44)}\n${signature.slice(44)}`, "malformed_signature"],
    ["the valid signature with a leading space", ` ${signature}`, "malformed_signature"],
    ["the valid signature with a trailing CRLF", `${signature}\r\n`, "malformed_signature"],
    ["the valid signature with trailing garbage", `${signature}AAAA`, "malformed_signature"],
    ["the valid signature with extra padding", `${signature}=`, "malformed_signature"],
    ["the valid signature in hex", signatureBytes.toString("hex"), "malformed_signature"],
    ["base64 of 63 bytes", signatureBytes.subarray(0, 63).toString("base64"), "malformed_signature"],
    ["base64 of 65 bytes", Buffer.concat([signatureBytes, Buffer.from([0])]).toString("base64"), "malformed_signature"],
    ["a non-canonical spelling (non-zero unused bits)", nonCanonical(signature), "malformed_signature"],
    ["a Standard Webhooks v1a list", `v1a,${signature}`, "malformed_signature"],
    ["64 zero bytes", Buffer.alloc(64).toString("base64"), "bad_signature"],
  ];
  for (const [name, header, reason] of hostile) {
    test(`createVerifier() rejects a signature header that is ${name} as ${reason}`, () => {
      assert.equal(outcome(verify(timestamp, header, body)), reason);
    });
  }
});

describe("createVerifier() with header values given as arrays", () => {
  const signer = makeSigner();
  const verify = verifierFor([parsePublicKey(signer.portalKey)]);
  const body = encoder.encode(BODY_TEXT);
  const headers = signDelivery(signer.privateKey, body, NOW_SECONDS);
  const ts = headers["telnyx-timestamp"];
  const sig = headers["telnyx-signature-ed25519"];

  test("createVerifier() treats an array of one value as that value", () => {
    assert.equal(outcome(verify([ts], [sig], body)), "ok");
    assert.equal(outcome(verify([ts], sig, body)), "ok");
    assert.equal(outcome(verify(ts, [sig], body)), "ok");
  });

  test("createVerifier() treats an array of one tampered value as tampered", () => {
    assert.equal(outcome(verify([String(NOW_SECONDS + 1)], [sig], body)), "bad_signature");
  });

  const cases: ReadonlyArray<readonly [string, HeaderValue, HeaderValue, string]> = [
    ["a repeated timestamp", [ts, ts], sig, "repeated_header"],
    ["a repeated timestamp with different values", [ts, String(NOW_SECONDS + 1)], sig, "repeated_header"],
    ["a missing timestamp", undefined, sig, "missing_header"],
    ["an empty timestamp array", [], sig, "missing_header"],
    ["a timestamp array holding an empty string", [""], sig, "missing_header"],
    ["both headers missing", undefined, undefined, "missing_header"],
  ];
  for (const [name, timestampHeader, signatureHeader, reason] of cases) {
    test(`createVerifier() rejects ${name} as ${reason}`, () => {
      assert.equal(outcome(verify(timestampHeader, signatureHeader, body)), reason);
    });
  }
});

describe("createVerifier() configuration", () => {
  const signer = makeSigner();
  const key = parsePublicKey(signer.portalKey);

  test("createVerifier() throws TypeError when no key is given, so verification can never be skipped", () => {
    assert.throws(() => createVerifier({ keys: [], toleranceSeconds: 300, now: () => NOW_MS }), TypeError);
  });

  const badTolerances: ReadonlyArray<readonly [string, number]> = [
    ["negative", -1],
    ["NaN", Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY],
    ["-Infinity", Number.NEGATIVE_INFINITY],
  ];
  for (const [name, toleranceSeconds] of badTolerances) {
    test(`createVerifier() throws TypeError when the tolerance is ${name}`, () => {
      assert.throws(() => createVerifier({ keys: [key], toleranceSeconds, now: () => NOW_MS }), TypeError);
    });
  }

  test("createVerifier() accepts a tolerance of 0 and a fractional tolerance", () => {
    assert.equal(typeof createVerifier({ keys: [key], toleranceSeconds: 0, now: () => NOW_MS }), "function");
    assert.equal(typeof createVerifier({ keys: [key], toleranceSeconds: 0.5, now: () => NOW_MS }), "function");
  });
});

describe("createVerifier() rejection details", () => {
  test("createVerifier() rejection details never contain the public key, in base64 or hex", () => {
    const signer = makeSigner();
    const verify = verifierFor([parsePublicKey(signer.portalKey)]);
    const body = encoder.encode(BODY_TEXT);
    const good = signDelivery(signer.privateKey, body, NOW_SECONDS);
    const forged = signDelivery(makeSigner().privateKey, body, NOW_SECONDS);
    const results = [
      verify(undefined, good["telnyx-signature-ed25519"], body),
      verify([good["telnyx-timestamp"], good["telnyx-timestamp"]], good["telnyx-signature-ed25519"], body),
      verify("abc", good["telnyx-signature-ed25519"], body),
      verify(String(NOW_SECONDS - 1000), good["telnyx-signature-ed25519"], body),
      verify(good["telnyx-timestamp"], signer.portalKey, body),
      verify(good["telnyx-timestamp"], forged["telnyx-signature-ed25519"], body),
      verify(good["telnyx-timestamp"], good["telnyx-signature-ed25519"], flipBit(body)),
    ];
    const keyHex = Buffer.from(signer.portalKey, "base64").toString("hex");
    const reasons = new Set<string>();
    for (const result of results) {
      assert.equal(result.ok, false);
      if (result.ok) continue;
      reasons.add(result.reason);
      assert.equal(typeof result.detail, "string");
      assert.ok(result.detail.length > 0);
      assert.ok(!result.detail.includes(signer.portalKey), result.detail);
      assert.ok(!result.detail.toLowerCase().includes(keyHex), result.detail);
      assert.ok(!JSON.stringify(result).includes(signer.portalKey));
    }
    assert.deepEqual(
      [...reasons].sort(),
      ["bad_signature", "malformed_signature", "malformed_timestamp", "missing_header", "repeated_header", "stale_timestamp"],
    );
  });
});
