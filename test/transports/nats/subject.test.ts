import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { eventType, subjectFor, subjectTokens } from "../../../src/transports/nats/subject.ts";

describe("subjectFor()", () => {
  test("{type} becomes the event type, its dots kept as token separators", () => {
    assert.equal(subjectFor("telnyx.{type}", "com.telnyx.texml.refer.status"), "telnyx.com.telnyx.texml.refer.status");
    assert.equal(subjectFor("a.{type}.events", "com.telnyx.call.hangup"), "a.com.telnyx.call.hangup.events");
  });

  test("a template without {type} is the subject of every event", () => {
    assert.equal(subjectFor("telnyx.events", "com.telnyx.call.hangup"), "telnyx.events");
  });

  test("whitespace, wildcards and other characters become _, empty tokens _, an empty type unknown", () => {
    assert.equal(subjectTokens("com.telnyx.call hangup"), "com.telnyx.call_hangup");
    assert.equal(subjectTokens("a.*.>"), "a._._");
    assert.equal(subjectTokens(".a..b."), "_.a._.b._");
    assert.equal(subjectTokens("é\tx"), "__x");
    assert.equal(subjectTokens(""), "unknown");
    assert.equal(subjectFor("t.{type}", ""), "t.unknown");
  });
});

describe("eventType()", () => {
  test("the event's type field when it has one, else the type in its CloudEvent JSON (a recovered event)", () => {
    assert.equal(eventType({ json: '{"type":"b"}', type: "a" }), "a");
    assert.equal(eventType({ json: '{"specversion":"1.0","type":"com.telnyx.call.hangup"}' }), "com.telnyx.call.hangup");
    assert.equal(eventType({ json: "not json" }), "");
    assert.equal(eventType({ json: '{"type":7}' }), "");
  });
});
