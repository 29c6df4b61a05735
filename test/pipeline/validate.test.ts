// validateEvent() over a field table made for these tests: the rules any registry entry can use.
// The REFER status entry's own behaviour is in validate-refer-status.test.ts.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { defineFormEventType } from "../../src/events/event-type.ts";
import { indexFields } from "../../src/pipeline/decode.ts";
import type { Rejection } from "../../src/pipeline/rejection.ts";
import { validateEvent, type Validated, type ValidFormEvent } from "../../src/pipeline/validate.ts";

type Fields = ReadonlyArray<readonly [string, string]>;

const CALL = defineFormEventType({
  media: "form",
  type: "com.example.call",
  documentedBy: "this test",
  recognisedBy: { present: ["CallStatus"] },
  fields: {
    AccountSid: { required: true },
    CallSid: { required: true },
    CallStatus: { required: true, oneOf: ["ringing", "completed"] },
    SequenceNumber: { required: true, format: "integer" },
    Timestamp: { required: true, format: "date-time" },
    SipCode: { format: "sip-code" },
    Direction: { oneOf: ["inbound", "outbound"] },
    StartTime: { format: "date-time" },
    Label: {},
  },
  source: "AccountSid",
  subject: "Label",
  time: "StartTime",
  id: "delivery",
});

const VALID: Fields = [
  ["AccountSid", "acct-1"],
  ["CallSid", "v3:call"],
  ["CallStatus", "ringing"],
  ["SequenceNumber", "2"],
  ["Timestamp", "2024-01-15T10:30:00Z"],
  ["StartTime", "2024-01-15 10:29:58.5Z"],
  ["Label", "first"],
];

function withField(name: string, value: string | undefined, fields: Fields = VALID): Fields {
  if (value === undefined) return fields.filter(([candidate]) => candidate !== name);
  return fields.some(([candidate]) => candidate === name) ? fields.map(([candidate, old]) => [candidate, candidate === name ? value : old] as const) : [...fields, [name, value]];
}

function expectEvent(result: Validated | Rejection): ValidFormEvent {
  assert.equal(result.ok, true, result.ok ? "" : result.detail);
  if (!result.ok || result.event.media !== "form") throw new Error("unreachable");
  return result.event;
}

function expectProblems(fields: Fields): string[] {
  const result = validateEvent(CALL, indexFields(fields));
  assert.equal(result.ok, false, "expected a rejection");
  if (result.ok) throw new Error("unreachable");
  assert.equal(result.reason, "invalid_event");
  assert.ok(!result.detail.includes("\n"), "one line");
  return result.detail.split("; ");
}

describe("validateEvent() on a valid body", () => {
  test("validateEvent() gives the CloudEvent attributes the table names: type, source, subject, time", () => {
    const event = expectEvent(validateEvent(CALL, indexFields(VALID)));
    assert.equal(event.media, "form");
    assert.equal(event.type, "com.example.call");
    assert.equal(event.source, "urn:telnyx:account:acct-1");
    assert.equal(event.subject, "first");
    assert.equal(event.time, "2024-01-15T10:29:58.5Z", "the time field, normalised");
    assert.equal(event.data.StartTime, "2024-01-15 10:29:58.5Z", "data keeps the value as received");
    assert.deepEqual(event.fields, VALID);
  });

  test("validateEvent() keeps unknown fields, unchecked, in data and in body order", () => {
    const fields: Fields = [...VALID, ["Zeta", "z"], ["1", "one"], ["__proto__", "p"]];
    const event = expectEvent(validateEvent(CALL, indexFields(fields)));
    assert.deepEqual(event.fields, fields);
    assert.equal(event.data.Zeta, "z");
    assert.equal(Object.getPrototypeOf(event.data), null);
    assert.equal(Object.getOwnPropertyDescriptor(event.data, "__proto__")?.value, "p");
  });

  test("validateEvent() accepts an optional field absent or empty, whatever its rule", () => {
    for (const name of ["SipCode", "Direction", "StartTime", "Label"]) {
      expectEvent(validateEvent(CALL, indexFields(withField(name, undefined))));
      assert.equal(expectEvent(validateEvent(CALL, indexFields(withField(name, "")))).data[name], "");
    }
  });

  test("validateEvent() omits subject and time when their fields are absent or empty", () => {
    const event = expectEvent(validateEvent(CALL, indexFields(withField("Label", "", withField("StartTime", undefined)))));
    assert.equal(event.subject, undefined);
    assert.equal(event.time, undefined);
  });

  test("validateEvent() accepts every value of an enum, integers with a sign or leading zeros, SIP codes 100-699", () => {
    for (const status of ["ringing", "completed"]) expectEvent(validateEvent(CALL, indexFields(withField("CallStatus", status))));
    for (const n of ["0", "7", "-3", "007", "12345678901234567890"]) expectEvent(validateEvent(CALL, indexFields(withField("SequenceNumber", n))));
    for (const code of ["100", "202", "486", "699"]) expectEvent(validateEvent(CALL, indexFields(withField("SipCode", code))));
  });

  test("validateEvent() percent-encodes the account in source, keeping it one URI", () => {
    assert.equal(expectEvent(validateEvent(CALL, indexFields(withField("AccountSid", "a b/c:d")))).source, "urn:telnyx:account:a%20b%2Fc%3Ad");
  });
});

describe("validateEvent() on an invalid body", () => {
  test("validateEvent() names a missing and an empty required field", () => {
    assert.deepEqual(expectProblems(withField("CallSid", undefined)), ["CallSid is missing"]);
    assert.deepEqual(expectProblems(withField("CallSid", "")), ["CallSid is empty"]);
  });

  test("validateEvent() names a value outside the enum, with the values allowed", () => {
    assert.deepEqual(expectProblems(withField("CallStatus", "busy")), ['CallStatus "busy" is not one of ringing, completed']);
    assert.deepEqual(expectProblems(withField("Direction", "sideways")), ['Direction "sideways" is not one of inbound, outbound']);
  });

  test("validateEvent() is case-sensitive about enum values", () => {
    assert.deepEqual(expectProblems(withField("CallStatus", "Ringing")), ['CallStatus "Ringing" is not one of ringing, completed']);
  });

  for (const [name, value, problem] of [
    ["SequenceNumber", "2.0", 'SequenceNumber "2.0" is not an integer'],
    ["SequenceNumber", " 2", 'SequenceNumber " 2" is not an integer'],
    ["SequenceNumber", "٣", 'SequenceNumber "٣" is not an integer'],
    ["SequenceNumber", "1e3", 'SequenceNumber "1e3" is not an integer'],
    ["SipCode", "099", 'SipCode "099" is not a SIP status code (100-699)'],
    ["SipCode", "700", 'SipCode "700" is not a SIP status code (100-699)'],
    ["Timestamp", "2024-01-15T10:30:00", 'Timestamp "2024-01-15T10:30:00" is not a valid date-time with a time zone (RFC 3339 or RFC 2822)'],
    ["StartTime", "2024-02-30T00:00:00Z", 'StartTime "2024-02-30T00:00:00Z" is not a valid date-time with a time zone (RFC 3339 or RFC 2822)'],
  ] as const) {
    test(`validateEvent() names ${name} ${JSON.stringify(value)} as not of its format`, () => {
      assert.deepEqual(expectProblems(withField(name, value)), [problem]);
    });
  }

  test("validateEvent() rejects a repeated name once, known or not, even with the same value", () => {
    assert.deepEqual(expectProblems([...VALID, ["CallSid", "v3:call"], ["CallSid", "v3:other"], ["Extra", "1"], ["Extra", "1"]]), ["CallSid is repeated", "Extra is repeated"]);
  });

  test("validateEvent() lists every problem, one per field: repeated names, then missing fields, then bad values, in table order", () => {
    const fields: Fields = [["SipCode", "1"], ["CallStatus", "busy"], ["AccountSid", "a"], ["AccountSid", "b"], ["SequenceNumber", "x"], ["Timestamp", ""]];
    assert.deepEqual(expectProblems(fields), [
      "AccountSid is repeated",
      "CallSid is missing",
      "Timestamp is empty",
      'CallStatus "busy" is not one of ringing, completed',
      'SequenceNumber "x" is not an integer',
      'SipCode "1" is not a SIP status code (100-699)',
    ]);
  });

  test("validateEvent() quotes a bad value on one line, cut short", () => {
    const [problem] = expectProblems(withField("CallStatus", `busy\n${"x".repeat(500)}`));
    assert.ok((problem as string).length < 120, problem);
    assert.match(problem as string, /^CallStatus "busy\\nx+…" is not one of/);
  });
});
