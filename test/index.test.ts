// The library surface, used the way its README section shows: verify the raw bytes, parse, validate.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import * as library from "../src/index.ts";
import { SEED_BODY } from "../scripts/seed-event.ts";
import { makeKeys, nowSeconds } from "./support/keys.ts";

test("the library verifies, parses and validates the seed event as the README shows", () => {
  const keys = makeKeys();
  const verify = library.createVerifier({ keys: [library.parsePublicKey(keys.portalKey)], toleranceSeconds: 300, now: Date.now });
  const headers = library.signDelivery(keys.privateKey, SEED_BODY, nowSeconds());
  const verified = verify(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], Buffer.from(SEED_BODY));
  assert.ok(verified.ok);
  const fields = library.parseForm(verified.body);
  const result = library.validateReferStatus(fields);
  assert.ok(result.ok);
  assert.equal(result.event.referCallStatus, "in-progress");
  const event = library.toCloudEvent(result.event, library.eventId(fields));
  assert.equal(event.type, library.REFER_STATUS_TYPE);
  assert.equal(library.statusOf("bad_signature"), 401);
});

test("the library's verifier refuses the same event with one byte changed", () => {
  const keys = makeKeys();
  const verify = library.createVerifier({ keys: [library.parsePublicKey(keys.portalKey)], toleranceSeconds: 300, now: Date.now });
  const headers = library.signDelivery(keys.privateKey, SEED_BODY, nowSeconds());
  const tampered = verify(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], Buffer.from(SEED_BODY.replace("202", "203")));
  assert.equal(tampered.ok, false);
});
