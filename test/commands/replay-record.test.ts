import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { generateKeyPairSync } from "node:crypto";
import { test } from "node:test";
import { judgeRecord } from "../../src/commands/replay-record.ts";
import { signDelivery } from "../../src/crypto/sign.ts";
import { EXAMPLES, REFER_STATUS_EXAMPLE_FIELDS, encodeForm } from "../../src/events/examples.ts";

const { publicKey, privateKey } = generateKeyPairSync("ed25519");
const other = generateKeyPairSync("ed25519").publicKey;
// A year old: far outside any age window.
const OLD = 1_700_000_000;
const record = (body: string, headers: object, extra: object = {}) =>
  JSON.stringify({ receivedAt: "2023-11-14T22:13:20.000Z", reason: "invalid_event", detail: "then", headers, body, ...extra });

test("judgeRecord() finds a signed, now-valid delivery of each registered type, however old", () => {
  for (const example of EXAMPLES) {
    const verdict = judgeRecord(record(example.body, signDelivery(privateKey, example.body, OLD), example.texmlKind === undefined ? {} : { texmlKind: example.texmlKind }), [other, publicKey]);
    assert.equal(verdict.kind, "valid");
    if (verdict.kind !== "valid") continue;
    assert.equal(verdict.type, example.type);
    assert.equal(verdict.contentType, example.contentType);
    assert.equal(verdict.body.toString(), example.body);
    assert.equal(JSON.parse(verdict.event.json).id, verdict.event.id);
  }
});

test("judgeRecord() reads a body kept as base64", () => {
  const body = (EXAMPLES[0] as { body: string }).body;
  const line = JSON.stringify({ reason: "invalid_event", detail: "", headers: signDelivery(privateKey, body, OLD), bodyBase64: Buffer.from(body).toString("base64") });
  assert.equal(judgeRecord(line, [publicKey]).kind, "valid");
});

test("judgeRecord() refuses a body changed after signing, another key, a changed timestamp", () => {
  const body = encodeForm(REFER_STATUS_EXAMPLE_FIELDS);
  const headers = signDelivery(privateKey, body, OLD);
  assert.equal(judgeRecord(record(`${body}&X=1`, headers), [publicKey]).kind, "bad-signature");
  assert.equal(judgeRecord(record(body, headers), [other]).kind, "bad-signature");
  assert.equal(judgeRecord(record(body, { ...headers, "telnyx-timestamp": String(OLD + 1) }), [publicKey]).kind, "bad-signature");
  assert.equal(judgeRecord(record(body, { ...headers, "telnyx-timestamp": "not a time" }), [publicKey]).kind, "bad-signature");
});

test("judgeRecord() says a signed delivery that this build still refuses is still invalid", () => {
  const body = encodeForm([["CallSid", "v3:x"]]);
  const verdict = judgeRecord(record(body, signDelivery(privateKey, body, OLD)), [publicKey]);
  assert.equal(verdict.kind, "still-invalid");
});

test("judgeRecord() hands back a downstream_rejected CloudEvent as it is, and skips what is not a record", () => {
  const refused = JSON.stringify({ reason: "downstream_rejected", detail: "HTTP 422", id: "e1", response: { status: 422 }, event: '{"id":"e1"}' });
  assert.deepEqual(judgeRecord(refused, [publicKey]), { kind: "refused-event", id: "e1", json: '{"id":"e1"}', detail: "HTTP 422" });
  assert.equal(judgeRecord("{", [publicKey]).kind, "unreadable");
  assert.equal(judgeRecord("null", [publicKey]).kind, "unreadable");
  assert.equal(judgeRecord('{"reason":"invalid_event"}', [publicKey]).kind, "unreadable");
});
