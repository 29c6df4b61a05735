// JSON webhooks through a real relay over HTTP (loopback, ephemeral port), signed with a key made
// here: every example of spec3.json's `webhooks` map comes out as a CloudEvent of its type; bad
// input is refused naming the field and dead-lettered; unknown types are handed on, typed by their
// event_type when it is a type name;
// `--events` filters; a Telnyx redelivery (same data.id, new signature) is a duplicate.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { signDelivery } from "../../src/crypto/sign.ts";
import { JSON_WEBHOOK_ROWS } from "../../src/events/json-tables.ts";
import { normalizeDateTime } from "../../src/pipeline/normalize-date-time.ts";
import { startDownstream } from "../support/downstream.ts";
import { post, postSigned, type Answer } from "../support/http.ts";
import { startTestRelay, type TestRelay } from "../support/in-process.ts";
import { makeKeys, nowSeconds } from "../support/keys.ts";

const keys = makeKeys();
const JSON_TYPE = "application/json";

function postJson(relay: TestRelay, body: string, timestamp = nowSeconds()): Promise<Answer> {
  return post(relay.url, body, { "content-type": JSON_TYPE, ...signDelivery(keys.privateKey, body, timestamp) });
}

async function metric(relay: TestRelay, name: string, labels: string): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${relay.port}/metrics`)).text();
  const line = text.split("\n").find((candidate) => candidate.startsWith(`${name}${labels} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** A call.hangup body like the spec's, with this id, attempt and payload changes. */
function hangup(id: string, attempt = 1, payload: Record<string, unknown> = {}): string {
  const row = JSON_WEBHOOK_ROWS.find((candidate) => candidate.eventType === "call.hangup");
  const body = JSON.parse(row?.example as string) as { data: { id: string; payload: Record<string, unknown> }; meta?: unknown };
  body.data.id = id;
  Object.assign(body.data.payload, payload);
  for (const [name, value] of Object.entries(payload)) if (value === undefined) delete body.data.payload[name];
  body.meta = { attempt, delivered_to: "https://example.com/webhooks" };
  return JSON.stringify(body);
}

/** The spec's message.received example with this id and its first recipient's status. */
function messageTo(id: string, status: string): string {
  const body = JSON.parse(JSON_WEBHOOK_ROWS.find((row) => row.eventType === "message.received")?.example as string) as { data: { id: string; payload: { to: Array<Record<string, unknown>> } } };
  body.data.id = id;
  (body.data.payload.to[0] as Record<string, unknown>).status = status;
  return JSON.stringify(body);
}

describe("every example of spec3.json's webhooks map, signed and sent over HTTP", () => {
  let relay: TestRelay;
  // dedup off: the spec's examples share ids (0ccc7b54-… appears in many).
  before(async () => (relay = await startTestRelay(keys, { dedupWindowMs: 0 })));
  after(() => relay.stop());

  for (const row of JSON_WEBHOOK_ROWS) {
    if (row.example === undefined) continue;
    test(`${row.eventType} (${row.webhook}) → 200, a CloudEvent com.telnyx.${row.eventType} with Telnyx's id, time, subject and the body as data`, async () => {
      const before = relay.lines.length;
      const answer = await postJson(relay, row.example as string);
      assert.equal(answer.status, 200, answer.text);
      const body = JSON.parse(row.example as string) as { data: { id: string; occurred_at?: string; payload: Record<string, unknown> } };
      assert.deepEqual(JSON.parse(answer.text), { status: "accepted", id: body.data.id });
      assert.equal(relay.lines.length, before + 1);
      const line = relay.lines[before] as string;
      const event = JSON.parse(line) as Record<string, unknown>;
      assert.equal(event.specversion, "1.0");
      assert.equal(event.type, `com.telnyx.${row.eventType}`);
      assert.equal(event.id, body.data.id);
      assert.equal(event.time, body.data.occurred_at === undefined ? undefined : normalizeDateTime(body.data.occurred_at));
      const subject = row.subject === undefined ? undefined : body.data.payload[row.subject];
      assert.equal(event.subject, typeof subject === "string" && subject !== "" ? subject : undefined);
      assert.equal(event.telnyxeventtype, undefined);
      assert.deepEqual(event.data, body);
      assert.ok(line.endsWith(`"data":${row.example}}`), "the body is embedded as received, key order kept");
      assert.equal(await metric(relay, "telnyx_relay_events_accepted_total", `{type="com.telnyx.${row.eventType}"}`), 1);
    });
  }

  test("sip_headers of any name (the spec's enum says User-to-User, its own description User-to-User and Diversion) and nested members as the spec has them → 200", async () => {
    const body = hangup("d1v3r510-0000-4000-8000-000000000001", 1, {
      sip_headers: [{ name: "User-to-User", value: "1234" }, { name: "Diversion", value: "<sip:+13125550100@sip.telnyx.com>;reason=unconditional" }],
      custom_headers: [{ name: "X-Tenant", value: "" }],
    });
    const answer = await postJson(relay, body);
    assert.equal(answer.status, 200, answer.text);
  });

  test("a pretty-printed body (line breaks between tokens) still comes out as one line", async () => {
    const body = JSON.stringify(JSON.parse(hangup("b7c1b2a4-0000-4000-8000-000000000001")), null, 2).replace(/\n/g, "\r\n");
    const before = relay.lines.length;
    assert.equal((await postJson(relay, body)).status, 200);
    assert.equal(relay.lines.length, before + 1);
    assert.equal((JSON.parse(relay.lines[before] as string) as { id: string }).id, "b7c1b2a4-0000-4000-8000-000000000001");
  });
});

describe("bad JSON webhooks → 400 naming the problem, the raw delivery in the dead-letter file", () => {
  let relay: TestRelay;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "relay-json-"));
    relay = await startTestRelay(keys, { deadLetterFile: join(dir, "dead.jsonl"), bodyLimit: 4 * 1024 * 1024 });
  });
  after(async () => {
    await relay.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const deep = `{"data":${"[".repeat(100)}${"]".repeat(100)}}`;
  const huge = `{"data":{"event_type":"call.hangup","pad":"${"x".repeat(1024 * 1024)}"}}`;
  const cases: ReadonlyArray<readonly [string, string, RegExp]> = [
    ["a known type missing a required field (data.id)", hangup("x").replace('"id":"x",', ""), /^data\.id \(missing\) is not an id$/],
    ["a known type without occurred_at", hangup("x2").replace(/"occurred_at":"[^"]*",/, ""), /^data\.occurred_at \(missing\) is not a valid date-time$/],
    ["a bad enum", hangup("x3", 1, { hangup_cause: "gremlins" }), /^data\.payload\.hangup_cause "gremlins" is not one of call_rejected, normal_clearing, /],
    ["a wrong JSON type", hangup("x4", 1, { from: 35319605860 }), /^data\.payload\.from is a number, not string$/],
    ["a bad date-time", hangup("x5", 1, { start_time: "yesterday" }), /^data\.payload\.start_time "yesterday" is not a valid date-time$/],
    // Nested objects are checked as the payload's top level is (spec3.json's CustomSipHeader requires name and value).
    ["a custom_headers item without its value", hangup("x6", 1, { custom_headers: [{ name: "X-A", value: "1" }, { name: "X-B" }] }), /^data\.payload\.custom_headers\[1\]\.value is missing$/],
    ["a nested enum (a message's to[].status)", messageTo("x7", "teleported"), /^data\.payload\.to\[0\]\.status "teleported" is not one of queued, sending, sent, delivered, sending_failed/],
    ["a nested wrong JSON type", hangup("x8", 1, { custom_headers: [{ name: 7, value: "v" }] }), /^data\.payload\.custom_headers\[0\]\.name is a number, not string$/],
    ["an array item that is no object", hangup("x9", 1, { custom_headers: ["X-A: 1"] }), /^data\.payload\.custom_headers\[0\] is a string, not object$/],
    ["invalid JSON", '{"data":{"event_type":"call.hangup",}}', /^the body is not valid JSON \(/],
    ["a JSON body whose data.event_type is not a string", '{"data":{"event_type":42,"id":"x"}}', /^data\.event_type is not a string$/],
    ["a key twice in one object", '{"data":{"event_type":"call.hangup","id":"a","id":"b"}}', /^the body has the key "id" twice in one object$/],
    ["an array", "[1,2]", /^the body is not a JSON object$/],
    ["deep JSON", deep, /^the body nests deeper than 64 levels$/],
  ];
  for (const [what, body, reason] of cases) {
    test(`${what} → 400`, async () => {
      const before = relay.lines.length;
      const answer = await postJson(relay, body);
      assert.equal(answer.status, 400, answer.text);
      const detail = (JSON.parse(answer.text) as { message: string }).message;
      assert.match(detail, reason);
      assert.doesNotMatch(detail, /\n/);
      assert.equal(relay.lines.length, before, "nothing handed on");
      const letters = readFileSync(join(dir, "dead.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line) as { body: string; detail: string });
      assert.ok(letters.some((letter) => letter.body === body && letter.detail === detail), "the raw delivery is dead-lettered");
    });
  }

  test("a signed JSON body over the JSON limit (under --body-limit) → 413 too_large, as a body over --body-limit is: not handed on, not dead-lettered", async () => {
    const before = relay.lines.length;
    const answer = await postJson(relay, huge);
    assert.equal(answer.status, 413, answer.text);
    assert.deepEqual(JSON.parse(answer.text), { error: "too_large", message: "the JSON body is larger than the limit of 1048576 characters" });
    assert.equal(relay.lines.length, before, "nothing handed on");
    assert.ok(!readFileSync(join(dir, "dead.jsonl"), "utf8").includes(huge.slice(0, 60)), "not kept: a limit, not an invalid event");
  });

  test("an unsigned JSON body → 401 before any parsing; nothing dead-lettered", async () => {
    const answer = await post(relay.url, "{not json", { "content-type": JSON_TYPE, ...signDelivery(makeKeys().privateKey, "{not json", nowSeconds()) });
    assert.equal(answer.status, 401);
    assert.ok(!readFileSync(join(dir, "dead.jsonl"), "utf8").includes("{not json"));
  });
});

describe("JSON webhooks the relay does not know", () => {
  let relay: TestRelay;
  before(async () => (relay = await startTestRelay(keys)));
  after(() => relay.stop());

  const unknown = (id: string, eventType: string): string => JSON.stringify({ data: { record_type: "event", event_type: eventType, id, occurred_at: "2026-11-29T10:00:00Z", payload: { call_control_id: "v3:x" } } });

  test("a well-formed event_type → 200, typed com.telnyx.<event_type> as a known one would be (no telnyxeventtype), counted as unknown, one warning per kind", async () => {
    const before = relay.lines.length;
    for (const [id, eventType] of [["u1", "call.teleported"], ["u2", "call.teleported"], ["u3", "fax.telepathic"]] as const) {
      const answer = await postJson(relay, unknown(id, eventType));
      assert.equal(answer.status, 200, answer.text);
      assert.deepEqual(JSON.parse(answer.text), { status: "accepted", id });
    }
    const events = relay.lines.slice(before).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(events.map((event) => [event.type, event.telnyxeventtype, event.id, event.time, event.subject]), [
      ["com.telnyx.call.teleported", undefined, "u1", "2026-11-29T10:00:00Z", undefined],
      ["com.telnyx.call.teleported", undefined, "u2", "2026-11-29T10:00:00Z", undefined],
      ["com.telnyx.fax.telepathic", undefined, "u3", "2026-11-29T10:00:00Z", undefined],
    ]);
    assert.equal(await metric(relay, "telnyx_relay_events_unknown_total", '{type="com.telnyx.call.teleported"}'), 2);
    assert.equal(await metric(relay, "telnyx_relay_events_unknown_total", '{type="com.telnyx.fax.telepathic"}'), 1);
    assert.equal(await metric(relay, "telnyx_relay_events_accepted_total", '{type="com.telnyx.call.teleported"}'), 2);
    assert.equal(await metric(relay, "telnyx_relay_events_unknown_total", '{type="com.telnyx.webhook"}'), undefined);
    const warnings = relay.logs.filter((entry) => entry.level === "warn" && String(entry.message).includes("does not know"));
    assert.deepEqual(warnings.map((entry) => [entry.type, entry.eventType]), [["com.telnyx.call.teleported", "call.teleported"], ["com.telnyx.fax.telepathic", "fax.telepathic"]]);
  });

  test("an event_type that is no type name (capitals, spaces, one segment, texml.…, over 100 characters) → 200 as com.telnyx.webhook, the event_type in telnyxeventtype", async () => {
    for (const eventType of ["Call.Teleported", "call teleported", "teleported", "webhook", "texml.callback", "call..x", `call.${"x".repeat(96)}`]) {
      const before = relay.lines.length;
      const answer = await postJson(relay, unknown(`n-${eventType.length}-${eventType.slice(0, 8)}`, eventType));
      assert.equal(answer.status, 200, answer.text);
      const event = JSON.parse(relay.lines[before] as string) as Record<string, unknown>;
      assert.deepEqual([event.type, event.telnyxeventtype], ["com.telnyx.webhook", eventType]);
    }
  });

  test("the envelopes that differ: 10DLC's flat campaign update and the link click (no event_type) → com.telnyx.webhook; {id, event, …} → com.telnyx.<event>; never refused for their shape", async () => {
    const bodies = [
      ['{"brandId":"B1","campaignId":"C1","status":"ACCEPTED","type":"TELNYX_EVENT","createDate":"2026-01-01T00:00:00Z"}', "com.telnyx.webhook"],
      ['{"data":{"message_id":"m1","record_type":"link_clicked","time_clicked":"2019-04-01T14:45:45.450Z","to":"18445550001","url":"https://telnyx.com"}}', "com.telnyx.webhook"],
      ['{"id":"e1","event":"artifact.completed","occurred_at":"2026-08-21T10:00:00Z","version":"1","data":{"x":1}}', "com.telnyx.artifact.completed"],
    ] as const;
    for (const [body, type] of bodies) {
      const before = relay.lines.length;
      const answer = await postJson(relay, body);
      assert.equal(answer.status, 200, answer.text);
      const event = JSON.parse(relay.lines[before] as string) as Record<string, unknown>;
      assert.equal(event.type, type);
      assert.equal(event.telnyxeventtype, undefined);
      assert.deepEqual(event.data, JSON.parse(body));
    }
  });
});

describe("--events and redeliveries", () => {
  test("--events com.telnyx.call.*: other types are answered 200, counted as filtered, not handed on", async () => {
    const relay = await startTestRelay(keys, { events: ["com.telnyx.call.*"] });
    try {
      assert.equal((await postJson(relay, hangup("f1"))).status, 200);
      const message = JSON_WEBHOOK_ROWS.find((row) => row.eventType === "message.received")?.example as string;
      const answer = await postJson(relay, message);
      assert.equal(answer.status, 200);
      assert.equal((JSON.parse(answer.text) as { status: string }).status, "filtered");
      const refer = "AccountSid=a&CallSid=c&CallSidLegacy=c&ReferCallStatus=failed&Timestamp=2024-01-15T10%3A30%3A00Z";
      assert.equal((await postSigned(relay.url, keys.privateKey, refer)).status, 200);
      // An event_type the relay does not know yet is kept or not by its own type, as it will be once known.
      assert.equal((await postJson(relay, JSON.stringify({ data: { record_type: "event", event_type: "call.teleported", id: "f2", payload: {} } }))).status, 200);
      const fax = JSON.stringify({ data: { record_type: "event", event_type: "fax.telepathic", id: "f3", payload: {} } });
      assert.equal((JSON.parse((await postJson(relay, fax)).text) as { status: string }).status, "filtered");
      assert.deepEqual(relay.lines.map((line) => (JSON.parse(line) as { type: string }).type), ["com.telnyx.call.hangup", "com.telnyx.call.teleported"]);
      assert.equal(await metric(relay, "telnyx_relay_events_filtered_total", '{type="com.telnyx.message.received"}'), 1);
      assert.equal(await metric(relay, "telnyx_relay_events_filtered_total", '{type="com.telnyx.texml.refer.status"}'), 1);
    } finally {
      await relay.stop();
    }
  });

  test("a Telnyx redelivery (same data.id, meta.attempt 2, a new signature) → 200 duplicate, handed on once", async () => {
    const relay = await startTestRelay(keys);
    try {
      assert.equal((await postJson(relay, hangup("r1", 1), nowSeconds() - 5)).status, 200);
      const again = await postJson(relay, hangup("r1", 2));
      assert.deepEqual(JSON.parse(again.text), { status: "duplicate", id: "r1" });
      assert.equal(relay.lines.length, 1);
      assert.equal(await metric(relay, "telnyx_relay_events_duplicate_total", '{type="com.telnyx.call.hangup"}'), 1);
    } finally {
      await relay.stop();
    }
  });
});

describe("JSON webhooks forwarded", () => {
  for (const spooled of [false, true]) {
    test(`${spooled ? "spooled" : "synchronous"} forwarding POSTs the CloudEvent com.telnyx.call.hangup with Telnyx's id as ce-id and Idempotency-Key`, async () => {
      const downstream = await startDownstream();
      const dir = mkdtempSync(join(tmpdir(), "relay-json-fwd-"));
      const spool = spooled ? { dir: join(dir, "spool"), maxBytes: 1 << 20, concurrency: 1, retryMaxDelayMs: 1000 } : undefined;
      const relay = await startTestRelay(keys, { deadLetterFile: join(dir, "dead.jsonl"), forward: { url: new URL(downstream.url), headers: [], secret: undefined, timeoutMs: 1500 }, spool });
      try {
        const body = hangup("c0ffee00-0000-4000-8000-00000000f00d");
        assert.equal((await postJson(relay, body)).status, 200);
        await downstream.waitFor(1);
        const [request] = downstream.received;
        assert.equal(request?.headers["ce-id"], "c0ffee00-0000-4000-8000-00000000f00d");
        assert.equal(request?.headers["idempotency-key"], "c0ffee00-0000-4000-8000-00000000f00d");
        const event = JSON.parse(request?.body as string) as { type: string; data: unknown };
        assert.equal(event.type, "com.telnyx.call.hangup");
        assert.deepEqual(event.data, JSON.parse(body));
      } finally {
        await relay.stop();
        await downstream.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
