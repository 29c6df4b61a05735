// The library surface, used the way docs/library.md shows: verify the raw bytes, parse, validate.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import * as library from "../src/index.ts";
import { SEED_BODY } from "../scripts/seed-event.ts";
import { makeKeys, nowSeconds } from "./support/keys.ts";

test("the library verifies, parses and validates the seed event as docs/library.md shows", () => {
  const keys = makeKeys();
  const verify = library.createVerifier({ keys: [library.parsePublicKey(keys.portalKey)], toleranceSeconds: 300, now: Date.now });
  const headers = library.signDelivery(keys.privateKey, SEED_BODY, nowSeconds());
  const verified = verify(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], Buffer.from(SEED_BODY));
  assert.ok(verified.ok);
  const fields = library.parseForm(verified.body);
  const result = library.validateReferStatus(fields);
  assert.ok(result.ok);
  assert.equal(result.event.referCallStatus, "in-progress");
  const event = library.toCloudEvent(result.event, library.deriveEventId(library.REFER_STATUS, library.indexFields(fields), verified));
  assert.equal(event.type, library.REFER_STATUS_TYPE);
  assert.equal(library.statusOf("bad_signature"), 401);
});

test("the library verifies, decodes, recognises and validates the seed event with the registry, as docs/library.md shows", () => {
  const keys = makeKeys();
  const verify = library.createVerifier({ keys: [library.parsePublicKey(keys.portalKey)], toleranceSeconds: 300, now: Date.now });
  const headers = library.signDelivery(keys.privateKey, SEED_BODY, nowSeconds());
  const media = library.acceptedMediaType("application/x-www-form-urlencoded");
  assert.equal(media, "form");
  assert.equal(library.acceptedMediaType("application/json"), "json");
  assert.equal(library.acceptedMediaType("text/plain"), undefined);
  const verified = verify(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], Buffer.from(SEED_BODY));
  assert.ok(verified.ok && media !== undefined);
  const body = library.decodeBody(media, verified.body);
  const type = library.recogniseEvent(body);
  assert.equal(type, library.REFER_STATUS);
  assert.ok(library.EVENT_TYPES.includes(type));
  const result = library.validateEvent(type, body);
  assert.ok(result.ok);
  const event = library.toCloudEvent(result.event, library.deriveEventId(type, body, verified));
  assert.equal(event.type, "com.telnyx.texml.refer.status");
  assert.equal(event.subject, "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ");
  assert.equal(event.time, "2024-01-15T10:30:00Z");
  // The REFER status callback's body identifies it (its Timestamp): the id is the same for every delivery of it.
  assert.equal(event.id, "b6093fac22c385c482f055f381aa29b9");
  assert.equal(library.encodeCloudEvent(result.event, event.id).json, JSON.stringify(event));
});

test("the library's validateEvent() refuses a REFER status callback with a bad value, naming the field", () => {
  const body = library.decodeBody("form", Buffer.from(SEED_BODY.replace("in-progress", "ringing")));
  const result = library.validateEvent(library.recogniseEvent(body), body);
  assert.equal(result.ok, false);
  assert.match(result.ok ? "" : result.detail, /^ReferCallStatus "ringing" is not one of/);
});

test("the library's verifier refuses the same event with one byte changed", () => {
  const keys = makeKeys();
  const verify = library.createVerifier({ keys: [library.parsePublicKey(keys.portalKey)], toleranceSeconds: 300, now: Date.now });
  const headers = library.signDelivery(keys.privateKey, SEED_BODY, nowSeconds());
  const tampered = verify(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], Buffer.from(SEED_BODY.replace("202", "203")));
  assert.equal(tampered.ok, false);
});
