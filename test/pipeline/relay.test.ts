// The relay core's specification: what createRelay does with a delivery, stage by stage, without
// HTTP. A real verifier over a key made here, a hand-on stage that records what reaches it, and a
// real dead-letter file in a temporary directory.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

import { encodeForm, EXAMPLES, SEED_BODY, SEED_FIELDS } from "../../scripts/seed-event.ts";
import { signDelivery } from "../../src/crypto/sign.ts";
import { parsePublicKey } from "../../src/crypto/public-key.ts";
import { REFER_STATUS_TYPE } from "../../src/events/texml.ts";
import { createMetrics } from "../../src/lib/metrics.ts";
import type { EncodedEvent } from "../../src/pipeline/cloud-event.ts";
import { createDedup } from "../../src/pipeline/dedup.ts";
import { reject, statusOf, type Rejection } from "../../src/pipeline/rejection.ts";
import { createRelay, type Delivery, type HandOn } from "../../src/pipeline/relay.ts";
import { createVerifier } from "../../src/pipeline/verify.ts";
import { createDeadLetterFile, type DeadLetterFile } from "../../src/lib/dead-letter-file.ts";
import type { Delivered } from "../../src/sinks/sink.ts";
import { SEED_LINE } from "../support/golden-refer.ts";
import { makeKeys } from "../support/keys.ts";

const FORM = "application/x-www-form-urlencoded";
const NOW_SECONDS = 1_795_420_800;
const now = (): number => NOW_SECONDS * 1000 + 123;
const keys = makeKeys();
const otherKeys = makeKeys();
const dir = mkdtempSync(join(tmpdir(), "telnyx-relay-core-"));
const opened: DeadLetterFile[] = [];
after(async () => {
  for (const file of opened) await file.close();
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;

/** A relay over a fresh dead-letter file; `answer` is what the hand-on stage says to each event. */
function makeRelay(answer: HandOn = async () => ({ ok: true }), deadLetterPath = join(dir, `dead-${++files}.jsonl`), deadLetterMaxBytes?: number) {
  const handed: EncodedEvent[] = [];
  const metrics = createMetrics();
  const deadLetters = createDeadLetterFile(deadLetterPath, deadLetterMaxBytes === undefined ? {} : { maxBytes: deadLetterMaxBytes });
  opened.push(deadLetters);
  const relay = createRelay({
    verify: createVerifier({ keys: [parsePublicKey(keys.portalKey)], toleranceSeconds: 300, now }),
    handOn: (event) => {
      handed.push(event);
      return answer(event);
    },
    deadLetters,
    metrics,
    now,
  });
  const deadLetterLines = (): Array<Record<string, unknown>> =>
    existsSync(deadLetterPath) ? readFileSync(deadLetterPath, "utf8").trim().split("\n").filter((line) => line !== "").map((line) => JSON.parse(line)) : [];
  const metric = (name: string, labels = ""): string | undefined =>
    metrics.render().split("\n").find((line) => line.startsWith(`${name}${labels} `))?.split(" ")[1];
  return { relay, handed, deadLetterLines, metric };
}

/** A delivery of `body` signed with `privateKey` at `timestamp`. */
function signed(body: string, timestamp = NOW_SECONDS, privateKey = keys.privateKey, contentType: string | undefined = FORM): Delivery {
  const headers = signDelivery(privateKey, body, timestamp);
  return { contentType, timestampHeader: headers["telnyx-timestamp"], signatureHeader: headers["telnyx-signature-ed25519"], body: Buffer.from(body) };
}

function expectRejection(outcome: { readonly ok: boolean }, reason: string): Rejection {
  assert.equal(outcome.ok, false, `expected ${reason}, got ${JSON.stringify(outcome)}`);
  const rejection = outcome as Rejection;
  assert.equal(rejection.reason, reason, rejection.detail);
  return rejection;
}

const REFER = `{type="${REFER_STATUS_TYPE}"}`;
const INVALID_BODY = encodeForm(SEED_FIELDS.map(([name, value]): [string, string] => [name, name === "ReferCallStatus" ? "ringing" : value]));

describe("createRelay(): a delivery that is not proven to come from Telnyx", () => {
  const good = signed(SEED_BODY);
  const cases: ReadonlyArray<readonly [string, Delivery, string]> = [
    ["no signature headers", { ...good, timestampHeader: undefined, signatureHeader: undefined }, "missing_header"],
    ["a repeated telnyx-timestamp", { ...good, timestampHeader: [String(good.timestampHeader), String(good.timestampHeader)] }, "repeated_header"],
    ["a telnyx-timestamp that is not a number", { ...good, timestampHeader: "soon" }, "malformed_timestamp"],
    ["a delivery signed 10 minutes ago", signed(SEED_BODY, NOW_SECONDS - 600), "stale_timestamp"],
    ["a signature that is not base64 of 64 bytes", { ...good, signatureHeader: "c2lnbmF0dXJl" }, "malformed_signature"],
    ["a signature made with another key", signed(SEED_BODY, NOW_SECONDS, otherKeys.privateKey), "bad_signature"],
    ["a body changed after signing", { ...good, body: Buffer.from(SEED_BODY.replace("in-progress", "busy")) }, "bad_signature"],
    ["an invalid body, unsigned", { ...signed(INVALID_BODY), signatureHeader: undefined }, "missing_header"],
  ];
  for (const [name, delivery, reason] of cases) {
    test(`${name} → 401 ${reason}; nothing handed on, nothing dead-lettered, the failure counted`, async () => {
      const { relay, handed, deadLetterLines, metric } = makeRelay();
      const rejection = expectRejection(await relay(delivery), reason);
      assert.equal(statusOf(rejection.reason), 401);
      assert.equal(handed.length, 0);
      assert.deepEqual(deadLetterLines(), []);
      assert.equal(metric("telnyx_relay_verification_failures_total", `{reason="${reason}"}`), "1");
    });
  }

  test("a Content-Type no event type uses → 415 before the signature is checked; nothing handed on or dead-lettered", async () => {
    for (const contentType of ["application/xml", "text/plain", undefined]) {
      const { relay, handed, deadLetterLines, metric } = makeRelay();
      const rejection = expectRejection(await relay({ ...signed(SEED_BODY), contentType }), "unsupported_media_type");
      assert.equal(statusOf(rejection.reason), 415);
      assert.equal(rejection.detail, `Content-Type must be one of ${FORM}, application/json`);
      assert.equal(handed.length, 0);
      assert.deepEqual(deadLetterLines(), []);
      assert.equal(metric("telnyx_relay_verification_failures_total", '{reason="bad_signature"}'), undefined);
    }
  });
});

describe("createRelay(): a signed delivery that is not a valid event", () => {
  test("→ 400 invalid_event naming the field, the raw delivery kept in the dead-letter file, nothing handed on", async () => {
    const { relay, handed, deadLetterLines } = makeRelay();
    const delivery = signed(INVALID_BODY);
    const rejection = expectRejection(await relay(delivery), "invalid_event");
    assert.equal(statusOf(rejection.reason), 400);
    assert.equal(rejection.detail, 'ReferCallStatus "ringing" is not one of failed, in-progress, busy, canceled, no-answer');
    assert.equal(handed.length, 0);
    assert.deepEqual(deadLetterLines(), [
      {
        receivedAt: new Date(now()).toISOString(),
        reason: "invalid_event",
        detail: rejection.detail,
        headers: { "telnyx-timestamp": delivery.timestampHeader, "telnyx-signature-ed25519": delivery.signatureHeader },
        contentType: FORM,
        body: INVALID_BODY,
      },
    ]);
  });

  test("a body that is not UTF-8 is dead-lettered as base64 of the exact bytes", async () => {
    const { relay, deadLetterLines } = makeRelay();
    const bytes = Buffer.concat([Buffer.from("CallSid="), Buffer.from([0xff, 0xfe])]);
    const headers = signDelivery(keys.privateKey, bytes, NOW_SECONDS);
    const outcome = await relay({ contentType: FORM, timestampHeader: headers["telnyx-timestamp"], signatureHeader: headers["telnyx-signature-ed25519"], body: bytes });
    expectRejection(outcome, "invalid_event");
    const [record] = deadLetterLines();
    assert.equal(record?.bodyBase64, bytes.toString("base64"));
    assert.equal(record?.body, undefined);
  });

  test("→ 503 dead_letter_unavailable when the dead letter cannot be written, so Telnyx delivers it again", async () => {
    const { relay, handed } = makeRelay(undefined, join(dir, "no-such-directory", "dead.jsonl"));
    const rejection = expectRejection(await relay(signed(INVALID_BODY)), "dead_letter_unavailable");
    assert.equal(statusOf(rejection.reason), 503);
    assert.match(rejection.detail, /^ReferCallStatus "ringing" is not one of .*; and the dead-letter file could not be written/);
    assert.equal(handed.length, 0);
  });
});

describe("createRelay(): a generic TeXML callback with a name given more than once", () => {
  test("is handed on (docs/events.md: a generic callback is never refused for its shape), each repeated name's values as an array in body order", async () => {
    const { relay, handed, deadLetterLines } = makeRelay();
    // Digits would make it a gather, but a gather requires CallSidLegacy, From and To.
    const body = "AccountSid=a&CallSid=c&Digits=1&Note=x&Digits=2&Digits=1";
    const outcome = await relay(signed(body));
    assert.equal(outcome.ok, true, JSON.stringify(outcome));
    const event = JSON.parse(handed[0]?.json as string) as { type: string; data: unknown };
    assert.equal(event.type, "com.telnyx.texml.callback");
    assert.equal(JSON.stringify(event.data), '{"AccountSid":"a","CallSid":"c","Digits":["1","2","1"],"Note":"x"}');
    assert.deepEqual(deadLetterLines(), []);
  });

  test("a known kind with a repeated name is still refused as ambiguous (400, dead-lettered)", async () => {
    const { relay, deadLetterLines } = makeRelay();
    expectRejection(await relay(signed(`${SEED_BODY}&CallSid=v3%3Aother`)), "invalid_event");
    assert.equal(deadLetterLines().length, 1);
  });
});

describe("createRelay(): a signed JSON webhook with a lone surrogate in a JSON escape", () => {
  test("is handed on (its source spelt with U+FFFD), not a 500", async () => {
    const { relay, handed } = makeRelay();
    const body = '{"data":{"event_type":"call.hangup","id":"lone-1","record_type":"event","occurred_at":"2024-01-15T10:30:00Z","payload":{"connection_id":"\\ud800"}}}';
    const outcome = await relay(signed(body, NOW_SECONDS, keys.privateKey, "application/json"));
    assert.equal(outcome.ok, true);
    assert.equal(handed.length, 1);
    assert.equal(JSON.parse(handed[0]?.json as string).source, "urn:telnyx:connection:%EF%BF%BD");
  });

  // Strict parsers (serde_json, Go's encoding/json in strict mode) refuse a lone surrogate escape.
  for (const [where, body] of [
    ["call_control_id (subject)", '{"data":{"event_type":"call.hangup","id":"lone-2","record_type":"event","occurred_at":"2024-01-15T10:30:00Z","payload":{"call_control_id":"v3:\\udc00","connection_id":"c\\ud800x"}}}'],
    ["an event_type that is no type (telnyxeventtype)", '{"data":{"event_type":"call.\\udc00","id":"lone-3","record_type":"event","payload":{"call_control_id":"\\ud83d"}}}'],
    ["the newer envelope's event", '{"id":"lone-4","event":"\\ud800","version":"1","data":{}}'],
  ] as const) {
    test(`in ${where}: every attribute of the line is well-formed (U+FFFD), data is the body as received`, async () => {
      const { relay, handed } = makeRelay();
      const outcome = await relay(signed(body, NOW_SECONDS, keys.privateKey, "application/json"));
      assert.equal(outcome.ok, true, JSON.stringify(outcome));
      const json = handed[0]?.json as string;
      const dataAt = json.indexOf(',"data":');
      assert.doesNotMatch(json.slice(0, dataAt), /\\u[dD][89a-fA-F]/, "no surrogate escape among the attributes");
      assert.equal(json.slice(dataAt + ',"data":'.length, -1), body, "data is the body's own text");
      const event = JSON.parse(json) as Record<string, unknown>;
      for (const [name, value] of Object.entries(event)) {
        if (name !== "data" && typeof value === "string") assert.ok(value.isWellFormed(), `${name} ${JSON.stringify(value)}`);
      }
      assert.ok(handed[0]?.subject === undefined || handed[0].subject.isWellFormed());
    });
  }
});

describe("createRelay(): a signed, invalid delivery and a bounded dead-letter file", () => {
  test("→ 503 dead_letter_unavailable naming the limit when the file is full; nothing is written", async () => {
    const { relay, handed, deadLetterLines } = makeRelay(undefined, undefined, 64);
    const rejection = expectRejection(await relay(signed(INVALID_BODY)), "dead_letter_unavailable");
    assert.equal(statusOf(rejection.reason), 503);
    assert.match(rejection.detail, /; and the dead-letter file is full \(--dead-letter-max-bytes\), so it was not kept$/);
    assert.deepEqual(deadLetterLines(), []);
    assert.equal(handed.length, 0);
  });

  test("→ 400 for a redelivery of a delivery already in the file, which is kept once", async () => {
    const { relay, deadLetterLines } = makeRelay();
    expectRejection(await relay(signed(INVALID_BODY)), "invalid_event");
    expectRejection(await relay(signed(INVALID_BODY, NOW_SECONDS - 5)), "invalid_event");
    assert.equal(deadLetterLines().length, 1);
  });
});

describe("createRelay(): a signed, valid delivery", () => {
  test("is handed on once, as its CloudEvent with its type, subject and id, and answered accepted", async () => {
    const { relay, handed, deadLetterLines, metric } = makeRelay();
    const outcome = await relay(signed(SEED_BODY));
    const id = JSON.parse(SEED_LINE).id;
    assert.deepEqual(outcome, { ok: true, id, duplicate: false });
    assert.equal(handed.length, 1);
    assert.deepEqual(handed[0], {
      id,
      json: SEED_LINE,
      type: REFER_STATUS_TYPE,
      subject: "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ",
      texml: true,
    });
    assert.deepEqual(deadLetterLines(), []);
    assert.equal(metric("telnyx_relay_events_accepted_total", REFER), "1");
    assert.equal(metric("telnyx_relay_events_duplicate_total", REFER), "0");
  });

  test("is accepted with the Content-Type in any case and with parameters", async () => {
    const { relay, handed } = makeRelay();
    const outcome = await relay(signed(SEED_BODY, NOW_SECONDS, keys.privateKey, " Application/X-WWW-Form-Urlencoded ; charset=UTF-8"));
    assert.equal(outcome.ok, true);
    assert.equal(handed[0]?.json, SEED_LINE);
  });

  test("answered duplicate by the hand-on stage → 200 duplicate with the same id, counted as a duplicate", async () => {
    const { relay, handed, metric } = makeRelay(async () => "duplicate");
    const outcome = await relay(signed(SEED_BODY));
    assert.deepEqual(outcome, { ok: true, id: JSON.parse(SEED_LINE).id, duplicate: true });
    assert.equal(handed.length, 1);
    assert.equal(metric("telnyx_relay_events_duplicate_total", REFER), "1");
    assert.equal(metric("telnyx_relay_events_accepted_total", REFER), "0");
  });

  test("a redelivery (new timestamp and signature, same fields) has the same id, so the dedup stage answers duplicate", async () => {
    const dedup = createDedup({ windowMs: 60_000, maxEntries: 100, now });
    const sunk: EncodedEvent[] = [];
    const { relay } = makeRelay((event) => dedup.once(event.id, async (): Promise<Delivered> => (sunk.push(event), { ok: true })));
    const first = await relay(signed(SEED_BODY, NOW_SECONDS - 30));
    const again = await relay(signed(SEED_BODY, NOW_SECONDS));
    assert.deepEqual(again, { ok: true, id: first.ok ? first.id : "", duplicate: true });
    assert.equal(sunk.length, 1);
  });

  test("refused by the hand-on stage (the sink) → that refusal, passed through unchanged, not counted as accepted", async () => {
    const refusal = reject("sink_unavailable", "stdout did not take the line within 1000 ms");
    const { relay, handed, metric } = makeRelay(async () => refusal);
    assert.equal(await relay(signed(SEED_BODY)), refusal);
    assert.equal(handed.length, 1);
    assert.equal(metric("telnyx_relay_events_accepted_total", REFER), "0");
  });
});

describe("createRelay() with a dedup stage: which deliveries are one event (issue 16)", () => {
  /** A relay whose hand-on stage is a real dedup in front of a sink that records what reaches it. */
  function withDedup() {
    const dedup = createDedup({ windowMs: 60_000, maxEntries: 100, now });
    const sunk: EncodedEvent[] = [];
    const { relay } = makeRelay((event) => dedup.once(event.id, async (): Promise<Delivered> => (sunk.push(event), { ok: true })));
    return { relay, sunk };
  }
  const example = (type: string): string => {
    const found = EXAMPLES.find((candidate) => candidate.type === type);
    if (found === undefined) throw new Error(`no example of ${type}`);
    return found.body;
  };
  const GATHER_BODY = example("com.telnyx.texml.gather");
  const HTTP_REQUEST_BODY = example("com.telnyx.texml.http_request");

  test("two Gathers with one body (two prompts answered the same way) are two events, on the general path and on /texml/gather", async () => {
    for (const texmlKind of [undefined, "gather"] as const) {
      const { relay, sunk } = withDedup();
      const first = await relay({ ...signed(GATHER_BODY, NOW_SECONDS - 20), ...(texmlKind === undefined ? {} : { texmlKind }) });
      const second = await relay({ ...signed(GATHER_BODY, NOW_SECONDS - 5), ...(texmlKind === undefined ? {} : { texmlKind }) });
      assert.ok(first.ok && second.ok);
      assert.equal(second.duplicate, false, "the second prompt's callback is not a duplicate");
      assert.notEqual(first.id, second.id);
      assert.equal(sunk.length, 2);
      assert.deepEqual(JSON.parse(sunk[0]?.json ?? "").data, JSON.parse(sunk[1]?.json ?? "").data);
    }
  });

  test("the same body, at the same second, on /texml/gather and /texml/http-request is two events of two types", async () => {
    const { relay, sunk } = withDedup();
    const delivery = signed(HTTP_REQUEST_BODY);
    const gather = await relay({ ...delivery, texmlKind: "gather" });
    const http = await relay({ ...delivery, texmlKind: "http-request" });
    assert.ok(gather.ok && http.ok);
    assert.equal(http.duplicate, false);
    assert.deepEqual(sunk.map((event) => event.type), ["com.telnyx.texml.gather", "com.telnyx.texml.http_request"]);
  });

  test("a byte-identical copy of one signed Gather delivery (same timestamp and signature) is that delivery again: a duplicate", async () => {
    const { relay, sunk } = withDedup();
    const delivery = { ...signed(GATHER_BODY), texmlKind: "gather" as const };
    const first = await relay(delivery);
    const again = await relay(delivery);
    assert.deepEqual(again, { ok: true, id: first.ok ? first.id : "", duplicate: true });
    assert.equal(sunk.length, 1);
  });

  test("a real redelivery of a call status callback (re-signed later, the same body) is still one event", async () => {
    const body = example("com.telnyx.texml.call.completed");
    const { relay, sunk } = withDedup();
    const first = await relay({ ...signed(body, NOW_SECONDS - 60), texmlKind: "call-status" });
    const again = await relay(signed(body, NOW_SECONDS));
    assert.ok(first.ok);
    assert.deepEqual(again, { ok: true, id: first.id, duplicate: true });
    assert.deepEqual(sunk.map((event) => event.type), ["com.telnyx.texml.call.completed"]);
  });

  test("signed bodies that decode to the same text (Note=%FF, %FE, %C3, %EF%BF%BD) are four events", async () => {
    const { relay, sunk } = withDedup();
    for (const escape of ["%FF", "%FE", "%C3", "%EF%BF%BD"]) {
      const outcome = await relay(signed(`${SEED_BODY}&Note=${escape}`));
      assert.ok(outcome.ok && !outcome.duplicate, escape);
    }
    assert.equal(new Set(sunk.map((event) => event.id)).size, 4);
    for (const event of sunk) assert.equal(JSON.parse(event.json).data.Note, "\uFFFD");
  });
});
