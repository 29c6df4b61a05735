// The id rule (docs/events.md "Event ids"): Telnyx's data.id for JSON webhooks; for a TeXML callback
// whose body carries a time or a sequence number, a hash of its type and raw body (every redelivery
// shares it); for any other, a hash of the delivery too (kind, path, telnyx-timestamp, raw body),
// so two callbacks that repeat a body are two events.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, test } from "node:test";

import { encodeForm, EXAMPLES, SEED_BODY, SEED_FIELDS } from "../../scripts/seed-event.ts";
import type { EventType } from "../../src/events/event-type.ts";
import { EVENT_TYPES, recogniseEvent } from "../../src/events/registry.ts";
import { GATHER, HTTP_REQUEST, REFER_STATUS } from "../../src/events/texml.ts";
import { CONFERENCE_JOIN, TEXML_CALLBACK } from "../../src/events/texml-docs.ts";
import { recogniseOnPath, type TexmlKind } from "../../src/events/texml-paths.ts";
import { decodeBody } from "../../src/pipeline/decode.ts";
import { deriveEventId } from "../../src/pipeline/event-id.ts";

const T = 1_795_420_800;

/** The id the relay gives `body` as `type`, delivered at `timestamp` (to `kind`'s path). */
function idOf(type: EventType, body: string, timestamp = T, kind?: TexmlKind): string {
  const bytes = Buffer.from(body);
  const decoded = decodeBody(type.media, bytes);
  if ("ok" in decoded) throw new Error(decoded.detail);
  return deriveEventId(type, decoded, { body: bytes, timestamp }, kind);
}

const GATHER_BODY = encodeForm([
  ["AccountSid", "acct"],
  ["CallSid", "v3:call"],
  ["CallSidLegacy", "v3:call"],
  ["Digits", "1"],
  ["From", "+15550001111"],
  ["To", "+15550002222"],
]);

describe("deriveEventId(): which kinds the body identifies", () => {
  test("exactly the TeXML callbacks with a time or a sequence field are identified by content; JSON webhooks by Telnyx's id; the rest by delivery", () => {
    const byContent = EVENT_TYPES.filter((type) => typeof type.id === "object").map((type) => type.type);
    assert.deepEqual(byContent.sort(), [
      "com.telnyx.texml.call.answered",
      "com.telnyx.texml.call.completed",
      "com.telnyx.texml.call.dtmf",
      "com.telnyx.texml.call.initiated",
      "com.telnyx.texml.call.ringing",
      "com.telnyx.texml.conference.end",
      "com.telnyx.texml.conference.join",
      "com.telnyx.texml.conference.leave",
      "com.telnyx.texml.conference.speaker",
      "com.telnyx.texml.conference.start",
      "com.telnyx.texml.refer.status",
      "com.telnyx.texml.siprec",
      "com.telnyx.texml.stream",
    ]);
    for (const type of EVENT_TYPES) {
      if (typeof type.id !== "object") continue;
      for (const name of type.id.content) assert.ok(name === "Timestamp" || name === "SequenceNumber", `${type.type}: ${name}`);
    }
    for (const type of EVENT_TYPES) assert.equal(type.id === "telnyx-id", type.media === "json", type.type);
    assert.equal(TEXML_CALLBACK.id, "delivery", "a callback the relay does not know may repeat its body");
  });

  test("every example event gets a 32-hex id or, for JSON, its data.id", () => {
    for (const example of EXAMPLES) {
      const bytes = Buffer.from(example.body);
      const media = example.contentType.includes("json") ? "json" : "form";
      const decoded = decodeBody(media, bytes);
      assert.ok(!("ok" in decoded));
      const type = example.texmlKind !== undefined && decoded.media === "form" ? recogniseOnPath(decoded, example.texmlKind) : recogniseEvent(decoded);
      const id = deriveEventId(type, decoded, { body: bytes, timestamp: T }, example.texmlKind);
      if (decoded.media === "json" && typeof decoded.record.id === "string") assert.equal(id, decoded.record.id, example.type);
      else assert.match(id, /^[0-9a-f]{32}$/, example.type);
    }
  });
});

describe("deriveEventId(): a callback its body identifies (REFER status: Timestamp)", () => {
  test("a redelivery (re-signed, a later telnyx-timestamp, the same body) has the same id, on the general path or its own", () => {
    const id = idOf(REFER_STATUS, SEED_BODY);
    assert.equal(idOf(REFER_STATUS, SEED_BODY, T + 90), id);
    assert.equal(idOf(REFER_STATUS, SEED_BODY, T + 90, "refer-status"), id, "a failover URL on the kind's path");
    assert.equal(id, "b6093fac22c385c482f055f381aa29b9", "the golden id (test/support/golden-refer.ts)");
  });

  test("two different signed bodies never share an id, even where they decode to the same text", () => {
    // %FF, %FE and %C3 are not UTF-8 and %EF%BF%BD is U+FFFD: all four decode to "\uFFFD".
    const variants = ["%FF", "%FE", "%C3", "%EF%BF%BD"].map((escape) => `${SEED_BODY}&Note=${escape}`);
    const bodies = [...variants, `${SEED_BODY}&Note=%41`, `${SEED_BODY}&Note=A`, `${SEED_BODY}&Note=a+b`, `${SEED_BODY}&Note=a%20b`, `${SEED_BODY}&`];
    for (const body of variants) assert.equal(decodeBody("form", Buffer.from(body)).data.Note, "\uFFFD");
    const ids = new Set(bodies.map((body) => idOf(REFER_STATUS, body)));
    assert.equal(ids.size, bodies.length);
    assert.ok(!ids.has(idOf(REFER_STATUS, SEED_BODY)));
  });

  test("the type is part of the id: the same bytes taken as two types are two events", () => {
    assert.notEqual(idOf(REFER_STATUS, SEED_BODY), idOf(TEXML_CALLBACK, SEED_BODY));
  });

  test("a conference callback is identified by its body only when it carries Timestamp or SequenceNumber", () => {
    const fields: Array<[string, string]> = [
      ["AccountSid", "acct"],
      ["CallSid", "v3:call"],
      ["CallSidLegacy", "v3:call"],
      ["ConferenceSid", "conf"],
      ["ConnectionId", "1"],
      ["FriendlyName", "room"],
      ["StatusCallbackEvent", "participant-join"],
    ];
    const bare = encodeForm(fields);
    assert.notEqual(idOf(CONFERENCE_JOIN, bare, T), idOf(CONFERENCE_JOIN, bare, T + 1), "nothing makes it unique: per delivery");
    for (const extra of [["SequenceNumber", "3"], ["Timestamp", "2024-01-15T10:30:00Z"]] as const) {
      const body = encodeForm([...fields, extra]);
      assert.equal(idOf(CONFERENCE_JOIN, body, T), idOf(CONFERENCE_JOIN, body, T + 1), extra[0]);
    }
    const empty = encodeForm([...fields, ["Timestamp", ""], ["SequenceNumber", ""]]);
    assert.notEqual(idOf(CONFERENCE_JOIN, empty, T), idOf(CONFERENCE_JOIN, empty, T + 1), "empty is absent");
  });
});

describe("deriveEventId(): a callback whose body may repeat (Gather, HTTP request, …)", () => {
  test("two deliveries of one body (a second prompt answered the same way) have two ids", () => {
    assert.notEqual(idOf(GATHER, GATHER_BODY, T), idOf(GATHER, GATHER_BODY, T + 1));
  });

  test("a byte-identical copy of one signed delivery (same telnyx-timestamp, same body, same path) has the same id", () => {
    assert.equal(idOf(GATHER, GATHER_BODY, T, "gather"), idOf(GATHER, GATHER_BODY, T, "gather"));
  });

  test("the same body at the same second on two kinds, or on the general path and a kind's path, are two events", () => {
    const ids = new Set([idOf(GATHER, GATHER_BODY, T, "gather"), idOf(HTTP_REQUEST, GATHER_BODY, T, "http-request"), idOf(GATHER, GATHER_BODY, T)]);
    assert.equal(ids.size, 3);
  });

  test("different bodies at the same second have different ids", () => {
    assert.notEqual(idOf(GATHER, GATHER_BODY, T), idOf(GATHER, GATHER_BODY.replace("Digits=1", "Digits=2"), T));
    assert.notEqual(idOf(GATHER, `${GATHER_BODY}&Note=%FF`, T), idOf(GATHER, `${GATHER_BODY}&Note=%FE`, T));
  });
});

describe("deriveEventId(): a JSON webhook", () => {
  const hangup = (attempt: number, id = "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0"): string =>
    JSON.stringify({ data: { record_type: "event", event_type: "call.hangup", id, occurred_at: "2024-01-15T10:30:00Z", payload: {} }, meta: { attempt } });

  test("is Telnyx's data.id, which every retry keeps although meta.attempt changes the body", () => {
    const type = recogniseEvent(decodeBody("json", Buffer.from(hangup(1))) as never);
    assert.equal(idOf(type, hangup(1), T), "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0");
    assert.equal(idOf(type, hangup(2), T + 60), "0ccc7b54-4df3-4bca-a65a-3da1ecc777f0");
  });

  test("without an id (10DLC's flat campaign update), is per delivery", () => {
    const body = JSON.stringify({ campaignId: "C1", status: "ACCEPTED" });
    const type = recogniseEvent(decodeBody("json", Buffer.from(body)) as never);
    assert.match(idOf(type, body, T), /^[0-9a-f]{32}$/);
    assert.equal(idOf(type, body, T), idOf(type, body, T));
    assert.notEqual(idOf(type, body, T), idOf(type, body, T + 1));
    assert.notEqual(idOf(type, body, T), idOf(type, `${body}\n`, T), "a different signed body");
  });
});

test("SEED_FIELDS are what SEED_BODY decodes to (the fixtures above rely on it)", () => {
  assert.deepEqual(decodeBody("form", Buffer.from(SEED_BODY)).fields, SEED_FIELDS);
});
