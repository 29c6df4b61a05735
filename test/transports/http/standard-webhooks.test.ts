import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import { signStandardWebhook } from "../../../src/transports/http/standard-webhooks.ts";

// The example in the Standard Webhooks specification (standard-webhooks/standard-webhooks, spec/standard-webhooks.md).
const SECRET = Buffer.from("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "base64");
const ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TIMESTAMP = 1614265330;
const BODY = '{"test": 2432232314}';

test("signStandardWebhook() reproduces the Standard Webhooks specification's example signature", () => {
  assert.deepEqual(signStandardWebhook(SECRET, ID, TIMESTAMP, BODY), {
    "webhook-id": ID,
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  });
});

test("signStandardWebhook() gives another signature when the body, id, timestamp or secret changes", () => {
  const original = signStandardWebhook(SECRET, ID, TIMESTAMP, BODY)["webhook-signature"];
  assert.notEqual(signStandardWebhook(SECRET, ID, TIMESTAMP, '{"test": 2432232315}')["webhook-signature"], original);
  assert.notEqual(signStandardWebhook(SECRET, `${ID}x`, TIMESTAMP, BODY)["webhook-signature"], original);
  assert.notEqual(signStandardWebhook(SECRET, ID, TIMESTAMP + 1, BODY)["webhook-signature"], original);
  assert.notEqual(signStandardWebhook(Buffer.from("another secret of 24 bytes!!"), ID, TIMESTAMP, BODY)["webhook-signature"], original);
});
