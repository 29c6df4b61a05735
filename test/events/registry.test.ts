import assert from "node:assert/strict";
import { TEXML_CALLBACK } from "../../src/events/texml-docs.ts";
import { recogniseOnPath } from "../../src/events/texml-paths.ts";
import { Buffer } from "node:buffer";
import { describe, test } from "node:test";

import { EXAMPLES, SEED_FIELDS } from "../../scripts/seed-event.ts";
import { defineFormEventType, type FormEventType } from "../../src/events/event-type.ts";
import { ACCEPTED_CONTENT_TYPES, ACCEPTED_MEDIA_TYPES, acceptedMediaType, EVENT_TYPES, recogniseEvent } from "../../src/events/registry.ts";
import { REFER_STATUS, REFER_STATUS_TYPE } from "../../src/events/texml.ts";
import { isWellFormedEventType, JSON_GENERIC } from "../../src/events/json.ts";
import { decodeBody, indexFields } from "../../src/pipeline/decode.ts";
import { validateEvent } from "../../src/pipeline/validate.ts";

type Fields = ReadonlyArray<readonly [string, string]>;

/** A form event type for these tests only. */
function testType(type: string, recognisedBy: FormEventType["recognisedBy"]): FormEventType {
  return defineFormEventType({
    media: "form",
    type,
    documentedBy: "this test",
    recognisedBy,
    fields: { AccountSid: { required: true } },
    source: "AccountSid",
    id: "delivery",
  });
}

describe("the registry's entries", () => {
  // What every entry must hold for validateEvent and encodeCloudEvent to make a valid CloudEvent.
  for (const entry of EVENT_TYPES) {
    if (entry.media !== "form") continue; // JSON entries: test/events/json.test.ts
    test(`${entry.type}: its source field is required, its time field is a date-time, its attribute fields are in its table`, () => {
      assert.match(entry.type, /^com\.telnyx\.[a-z0-9_.]+$/);
      assert.ok(entry.documentedBy.length > 0, "says which source its table rests on");
      assert.equal(entry.fields[entry.source]?.required, true, "source is required (CloudEvents source is mandatory)");
      if (entry.time !== undefined) assert.equal(entry.fields[entry.time]?.format, "date-time");
      if (entry.subject !== undefined) assert.ok(entry.fields[entry.subject], "subject is in the table");
      for (const [name, rule] of Object.entries(entry.fields)) {
        if (rule.oneOf) assert.ok(rule.oneOf.length > 0 && rule.oneOf.every((value) => value !== ""), `${name}: enum values are not empty`);
      }
    });
  }

  test("no two entries have the same CloudEvents type", () => {
    const types = EVENT_TYPES.map((entry) => entry.type);
    assert.equal(new Set(types).size, types.length);
  });

  test("the REFER status entry is the registry's TeXML REFER status callback", () => {
    assert.ok(EVENT_TYPES.includes(REFER_STATUS));
    assert.equal(REFER_STATUS.type, REFER_STATUS_TYPE);
    assert.deepEqual(Object.keys(REFER_STATUS.fields), ["AccountSid", "CallSid", "CallSidLegacy", "ReferCallStatus", "Timestamp", "NotifySipResponseCode", "ReferSipResponseCode"]);
    assert.deepEqual([REFER_STATUS.source, REFER_STATUS.subject, REFER_STATUS.time, REFER_STATUS.id], ["AccountSid", "CallSid", "Timestamp", { content: ["Timestamp"] }]);
  });

  test("defineFormEventType() refuses, at compile time, a source, subject or time that is not in the table", () => {
    const fields = { AccountSid: { required: true } } as const;
    // Each line below fails type-checking (tsc runs over the tests), and passes at run time.
    // @ts-expect-error: "AcountSid" is not a field of the table
    defineFormEventType({ media: "form", type: "t", documentedBy: "", recognisedBy: {}, fields, source: "AcountSid", id: "delivery" });
    // @ts-expect-error: "CallSid" is not a field of the table
    defineFormEventType({ media: "form", type: "t", documentedBy: "", recognisedBy: {}, fields, source: "AccountSid", subject: "CallSid", id: "delivery" });
    // @ts-expect-error: "md5" is not an id rule
    defineFormEventType({ media: "form", type: "t", documentedBy: "", recognisedBy: {}, fields, source: "AccountSid", id: "md5" });
  });
});

describe("recogniseEvent()", () => {
  test("recogniseEvent() takes a body with ReferCallStatus for a REFER status callback", () => {
    assert.equal(recogniseEvent(indexFields(SEED_FIELDS)), REFER_STATUS);
  });

  test("recogniseEvent() takes a form body no entry recognises for the generic TeXML callback (handed on, not refused as REFER)", () => {
    assert.equal(recogniseEvent(indexFields([["CallSid", "v3:x"]])), TEXML_CALLBACK);
    assert.equal(recogniseEvent(indexFields([])), TEXML_CALLBACK);
    assert.equal(TEXML_CALLBACK.generic, true);
  });

  test("recogniseEvent() tries entries in order and takes the first that holds", () => {
    const transcription = testType("com.example.transcription", { anyPresent: ["TranscriptionSid", "TranscriptionText"] });
    const recording = testType("com.example.recording", { present: ["RecordingSid", "RecordingStatus"] });
    const types = [transcription, recording];
    const both: Fields = [["AccountSid", "a"], ["RecordingSid", "r"], ["RecordingStatus", "completed"], ["TranscriptionText", "hello"]];
    assert.equal(recogniseEvent(indexFields(both), types), transcription);
    assert.equal(recogniseEvent(indexFields(both), [recording, transcription]), recording);
    assert.equal(recogniseEvent(indexFields([["AccountSid", "a"], ["RecordingSid", "r"], ["RecordingStatus", "completed"]]), types), recording);
  });

  test("recogniseEvent() requires every `present` field, one `anyPresent` field and each `values` field to have a listed value", () => {
    const callStatus = testType("com.example.call", { present: ["CallStatus"], values: { CallbackSource: ["call-progress-events"] } });
    const either = testType("com.example.either", { anyPresent: ["A", "B"] });
    const types = [callStatus, either];
    const fallback = TEXML_CALLBACK;
    assert.equal(recogniseEvent(indexFields([["AccountSid", "a"], ["CallStatus", "ringing"], ["CallbackSource", "call-progress-events"]]), types), callStatus);
    assert.equal(recogniseEvent(indexFields([["AccountSid", "a"], ["CallStatus", "ringing"], ["CallbackSource", "other"]]), types), fallback);
    assert.equal(recogniseEvent(indexFields([["AccountSid", "a"], ["CallStatus", "ringing"]]), types), fallback);
    assert.equal(recogniseEvent(indexFields([["AccountSid", "a"], ["CallbackSource", "call-progress-events"]]), types), fallback);
    assert.equal(recogniseEvent(indexFields([["AccountSid", "a"], ["B", ""]]), types), either, "present but empty still counts as present");
    assert.equal(recogniseEvent(indexFields([["AccountSid", "a"], ["C", "1"]]), types), fallback);
  });

  test("recogniseEvent() is not fooled by names an object would inherit", () => {
    const proto = testType("com.example.proto", { present: ["constructor"], values: { toString: ["x"] } });
    assert.equal(recogniseEvent(indexFields([["AccountSid", "a"]]), [proto]), TEXML_CALLBACK);
  });
});

describe("acceptedMediaType()", () => {
  test("the registry accepts form and JSON bodies", () => {
    assert.deepEqual(ACCEPTED_MEDIA_TYPES, ["form", "json"]);
    assert.deepEqual(ACCEPTED_CONTENT_TYPES, ["application/x-www-form-urlencoded", "application/json"]);
  });

  for (const contentType of ["application/json", "application/json; charset=utf-8", " Application/JSON "]) {
    test(`acceptedMediaType(${JSON.stringify(contentType)}) is json`, () => {
      assert.equal(acceptedMediaType(contentType), "json");
    });
  }

  for (const contentType of ["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=UTF-8", " Application/X-WWW-Form-Urlencoded ;charset=utf-8", "APPLICATION/X-WWW-FORM-URLENCODED"]) {
    test(`acceptedMediaType(${JSON.stringify(contentType)}) is form`, () => {
      assert.equal(acceptedMediaType(contentType), "form");
    });
  }

  for (const contentType of [undefined, "", "text/plain", "application/jsonx", "text/json", "multipart/form-data", "application/x-www-form-urlencodedx", "application/x-www-form-urlencoded,application/json"]) {
    test(`acceptedMediaType(${JSON.stringify(contentType)}) is undefined (415)`, () => {
      assert.equal(acceptedMediaType(contentType), undefined);
    });
  }
});

describe("the examples (scripts/seed-event.ts)", () => {
  test("every registered type has exactly one example, and each example is recognised and validated as its type", () => {
    assert.deepEqual(EXAMPLES.map((example) => example.type).sort(), EVENT_TYPES.map((entry) => entry.type).sort());
    for (const example of EXAMPLES) {
      const media = acceptedMediaType(example.contentType);
      assert.ok(media, example.type);
      const body = decodeBody(media, Buffer.from(example.body));
      assert.ok(!("ok" in body), example.type);
      const type = example.texmlKind === undefined || body.media !== "form" ? recogniseEvent(body) : recogniseOnPath(body, example.texmlKind);
      assert.equal(type.type, example.type);
      const result = validateEvent(type, body);
      assert.equal(result.ok, true, result.ok ? "" : result.detail);
    }
  });
});

describe("recognition agrees with validation, for every TeXML kind of the registry", () => {
  // A body recognised as kind K on the general path has every field K requires, present and not
  // empty; one without them is another kind that has them, or the generic callback, and is handed
  // on: only K's values can make it a 400 and a dead letter.
  const requiredOf = (entry: FormEventType): string[] => Object.keys(entry.fields).filter((name) => entry.fields[name]?.required);
  const takenAs = (fields: Fields) => {
    const body = indexFields(fields);
    const type = recogniseEvent(body);
    return { type, result: validateEvent(type, body) };
  };
  for (const entry of EVENT_TYPES) {
    if (entry.media !== "form" || entry.generic || entry.recognisedBy.byPathOnly) continue;
    const example = EXAMPLES.find((candidate) => candidate.type === entry.type);
    const fields = [...new URLSearchParams(example?.body ?? "")];
    test(`${entry.type}: its example is recognised; without any one required field, or with it empty, it is another kind that validates or the generic callback`, () => {
      assert.equal(recogniseEvent(indexFields(fields)), entry);
      for (const name of requiredOf(entry)) {
        for (const [how, variant] of [
          ["without", fields.filter(([field]) => field !== name)],
          ["with an empty", fields.map(([field, value]): [string, string] => [field, field === name ? "" : value])],
        ] as const) {
          const { type, result } = takenAs(variant);
          assert.notEqual(type, entry, `${how} ${name}`);
          // Without an account there is no CloudEvents source: every TeXML body needs one.
          if (TEXML_CALLBACK.fields[name as "AccountSid"]?.required) assert.equal(type, TEXML_CALLBACK);
          else assert.ok(result.ok, `${how} ${name}: taken for ${type.type}, which refuses it: ${result.ok ? "" : result.detail}`);
        }
      }
    });
    test(`${entry.type}: a look-alike with only the fields its recognition names (and AccountSid) is handed on as the generic callback unless it has all it requires`, () => {
      const { present = [], anyPresent = [], values = {} } = entry.recognisedBy;
      const named = new Set(["AccountSid", ...present, ...anyPresent, ...Object.keys(values)]);
      const lookAlike = fields.filter(([name]) => named.has(name));
      const { type, result } = takenAs(lookAlike);
      assert.ok(result.ok, result.ok ? "" : result.detail);
      const complete = requiredOf(entry).every((name) => lookAlike.some(([field, value]) => field === name && value !== ""));
      assert.equal(type, complete ? entry : TEXML_CALLBACK);
    });
  }

  test("the issue's cases: AnsweredBy alone is no AMD result, QueueSid without AvgQueueTime no queue callback: both generic, valid", () => {
    for (const fields of [
      [["AccountSid", "a"], ["CallSid", "c"], ["AnsweredBy", "human"]],
      [["AccountSid", "a"], ["CallSid", "c"], ["QueueSid", "q"], ["QueuePosition", "1"]],
    ] as const) {
      const { type, result } = takenAs(fields);
      assert.equal(type, TEXML_CALLBACK);
      assert.equal(result.ok, true);
    }
  });
});

describe("recogniseEvent() of a JSON body: typed by its event_type whenever that is a type name", () => {
  const json = (value: unknown) => {
    const body = decodeBody("json", Buffer.from(JSON.stringify(value)));
    assert.ok(!("ok" in body));
    return recogniseEvent(body);
  };
  test("a known event_type is its entry; an unknown well-formed one is com.telnyx.<event_type>, generic; any other com.telnyx.webhook", () => {
    assert.equal(json({ data: { event_type: "call.hangup" } }), EVENT_TYPES.find((entry) => entry.type === "com.telnyx.call.hangup"));
    const unknown = json({ data: { event_type: "call.teleported" } });
    assert.deepEqual([unknown.type, unknown.generic, unknown.media === "json" && unknown.eventType], ["com.telnyx.call.teleported", true, "call.teleported"]);
    assert.ok(!EVENT_TYPES.includes(unknown));
    assert.equal(json({ data: { event_type: "Call.Teleported" } }), JSON_GENERIC);
    assert.equal(json({ data: { payload: {} } }), JSON_GENERIC);
    assert.equal(json({ brandId: "b", status: "ACCEPTED" }), JSON_GENERIC);
    const newer = json({ id: "e1", event: "transcript.completed", version: "1", data: {} });
    assert.deepEqual([newer.type, newer.generic], ["com.telnyx.transcript.completed", true]);
  });

  for (const [eventType, wellFormed] of [
    ["call.hangup", true],
    ["messaging_hosted_numbers_orders.internal_transfer_auto_approved", true],
    ["number_order.complete", true],
    ["a.b", true],
    ["10dlc.campaign_2", true],
    [`a.${"b".repeat(98)}`, true],
    [`a.${"b".repeat(99)}`, false],
    ["hangup", false],
    ["webhook", false],
    ["texml.callback", false],
    ["texml.call.amd", false],
    ["Call.hangup", false],
    ["call hangup", false],
    ["call-hangup.x", false],
    [".call", false],
    ["call.", false],
    ["call..hangup", false],
    ["call.*", false],
    ["call.\u00e9", false],
    ["", false],
  ] as const) {
    test(`isWellFormedEventType(${JSON.stringify(eventType.length > 40 ? `${eventType.slice(0, 12)}… (${eventType.length})` : eventType)}) is ${wellFormed}`, () => {
      assert.equal(isWellFormedEventType(eventType), wellFormed);
    });
  }
});
