import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { SEED_BODY, SEED_FIELDS } from "../../scripts/seed-event.ts";
import { parseForm } from "../../src/pipeline/parse-form.ts";
import type { Rejection } from "../../src/pipeline/rejection.ts";
import { REFER_CALL_STATUSES, REFER_STATUS_TYPE } from "../../src/events/texml.ts";
import { validateReferStatus, type ReferStatusEvent, type Valid } from "../../src/pipeline/validate-refer-status.ts";

type Fields = ReadonlyArray<readonly [string, string]>;

const REQUIRED = ["AccountSid", "CallSid", "CallSidLegacy", "ReferCallStatus", "Timestamp"] as const;
const SIP_CODE_FIELDS = ["NotifySipResponseCode", "ReferSipResponseCode"] as const;

/** The seed fields with `name` set to `value` (in place), or removed when `value` is undefined. */
function withField(name: string, value: string | undefined, fields: Fields = SEED_FIELDS): Fields {
  if (value === undefined) return fields.filter(([candidate]) => candidate !== name);
  return fields.map(([candidate, old]) => [candidate, candidate === name ? value : old] as const);
}

function expectEvent(result: Valid | Rejection): ReferStatusEvent {
  assert.equal(result.ok, true, result.ok ? "" : result.detail);
  if (!result.ok) throw new Error("unreachable");
  return result.event;
}

function expectInvalid(result: Valid | Rejection): string {
  assert.equal(result.ok, false, "expected a rejection");
  if (result.ok) throw new Error("unreachable");
  assert.equal(result.reason, "invalid_event");
  assert.ok(!result.detail.includes("\n"), "the detail is one line");
  return result.detail;
}

describe("validateReferStatus() on valid events", () => {
  test("validateReferStatus() accepts the seed event and keeps every field in body order", () => {
    const event = expectEvent(validateReferStatus(SEED_FIELDS));
    assert.equal(event.accountSid, "f5586561-8ff0-4291-a51b-c7dfe4139ff9");
    assert.equal(event.callSid, "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ");
    assert.equal(event.referCallStatus, "in-progress");
    assert.equal(event.time, "2024-01-15T10:30:00Z");
    assert.deepEqual(Object.entries(event.data), SEED_FIELDS.map(([name, value]) => [name, value]));
  });

  test("validateReferStatus() accepts the seed body as parsed by parseForm()", () => {
    const event = expectEvent(validateReferStatus(parseForm(SEED_BODY)));
    assert.deepEqual(Object.entries(event.data), SEED_FIELDS.map(([name, value]) => [name, value]));
  });

  test("validateReferStatus() gives the event its CloudEvent attributes from the registry's REFER entry", () => {
    const event = expectEvent(validateReferStatus(SEED_FIELDS));
    assert.equal(event.type, REFER_STATUS_TYPE);
    assert.equal(event.source, "urn:telnyx:account:f5586561-8ff0-4291-a51b-c7dfe4139ff9");
    assert.equal(event.subject, event.callSid);
    assert.equal(event.accountSid, "f5586561-8ff0-4291-a51b-c7dfe4139ff9");
  });

  test("validateReferStatus() gives data a null prototype", () => {
    const event = expectEvent(validateReferStatus(SEED_FIELDS));
    assert.equal(Object.getPrototypeOf(event.data), null);
  });

  // Listed by hand, not taken from REFER_CALL_STATUSES, so that dropping one from the source fails here.
  for (const status of ["failed", "in-progress", "busy", "canceled", "no-answer"]) {
    test(`validateReferStatus() accepts ReferCallStatus "${status}"`, () => {
      assert.equal(expectEvent(validateReferStatus(withField("ReferCallStatus", status))).referCallStatus, status);
    });
  }

  test("REFER_CALL_STATUSES lists exactly the five documented statuses", () => {
    assert.deepEqual([...REFER_CALL_STATUSES].sort(), ["busy", "canceled", "failed", "in-progress", "no-answer"]);
  });

  for (const name of SIP_CODE_FIELDS) {
    test(`validateReferStatus() accepts an absent ${name}`, () => {
      const event = expectEvent(validateReferStatus(withField(name, undefined)));
      assert.equal(Object.hasOwn(event.data, name), false);
    });

    test(`validateReferStatus() accepts an empty ${name} and keeps it as empty`, () => {
      const event = expectEvent(validateReferStatus(withField(name, "")));
      assert.equal(event.data[name], "");
    });

    for (const code of ["100", "180", "200", "202", "487", "603", "699"]) {
      test(`validateReferStatus() accepts ${name} ${code}`, () => {
        assert.equal(expectEvent(validateReferStatus(withField(name, code))).data[name], code);
      });
    }
  }

  test("validateReferStatus() accepts a failed REFER with neither SIP code", () => {
    const fields = withField("ReferSipResponseCode", undefined, withField("NotifySipResponseCode", undefined, withField("ReferCallStatus", "failed")));
    assert.equal(expectEvent(validateReferStatus(fields)).referCallStatus, "failed");
  });

  test("validateReferStatus() keeps unknown extra fields in data, in body order", () => {
    const fields: Fields = [["Extra", "1"], ...SEED_FIELDS, ["From", "+15551234567"], ["Empty", ""]];
    const event = expectEvent(validateReferStatus(fields));
    assert.deepEqual(Object.keys(event.data), fields.map(([name]) => name));
    assert.equal(event.data.From, "+15551234567");
    assert.equal(event.data.Empty, "");
  });

  test("validateReferStatus() keeps body order in event.fields even for names that look like array indexes", () => {
    const fields: Fields = [...SEED_FIELDS, ["1", "one"], ["0", "zero"]];
    const event = expectEvent(validateReferStatus(fields));
    assert.deepEqual(event.fields, fields);
    // A JavaScript object cannot keep that order; the JSON line is written from event.fields.
    assert.deepEqual(Object.keys(event.data).slice(0, 2), ["0", "1"]);
  });

  test("validateReferStatus() normalises the verb page's Timestamp `2021-04-28 21:51:13.591099Z` into event.time", () => {
    const event = expectEvent(validateReferStatus(withField("Timestamp", "2021-04-28 21:51:13.591099Z")));
    assert.equal(event.time, "2021-04-28T21:51:13.591099Z");
    // data keeps the field as received.
    assert.equal(event.data.Timestamp, "2021-04-28 21:51:13.591099Z");
  });

  test("validateReferStatus() normalises an RFC 2822 Timestamp into event.time", () => {
    assert.equal(expectEvent(validateReferStatus(withField("Timestamp", "Wed, 28 Apr 2021 21:51:13 +0000"))).time, "2021-04-28T21:51:13+00:00");
  });

  test("validateReferStatus() keeps a field named __proto__ as an own property without changing data's prototype", () => {
    const event = expectEvent(validateReferStatus(parseForm(`${SEED_BODY}&__proto__=polluted&constructor=x&toString=y`)));
    assert.equal(Object.getPrototypeOf(event.data), null);
    assert.equal(Object.hasOwn(event.data, "__proto__"), true);
    assert.equal(Object.getOwnPropertyDescriptor(event.data, "__proto__")?.value, "polluted");
    assert.equal(event.data.constructor, "x");
    assert.equal(event.data.toString, "y");
    assert.deepEqual(Object.keys(event.data).slice(-3), ["__proto__", "constructor", "toString"]);
    assert.equal(JSON.parse(JSON.stringify(event.data)).Timestamp, "2024-01-15T10:30:00Z");
    // Nothing leaked onto the shared prototype.
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test("validateReferStatus() does not invent fields that a plain object would inherit", () => {
    const event = expectEvent(validateReferStatus(SEED_FIELDS));
    for (const name of ["constructor", "toString", "hasOwnProperty", "__proto__"]) {
      assert.equal(event.data[name], undefined, name);
    }
  });
});

describe("validateReferStatus() on invalid events", () => {
  for (const name of REQUIRED) {
    test(`validateReferStatus() rejects an event without ${name}, naming it`, () => {
      assert.match(expectInvalid(validateReferStatus(withField(name, undefined))), new RegExp(`${name} is missing`));
    });

    test(`validateReferStatus() rejects an event with an empty ${name}, naming it`, () => {
      assert.match(expectInvalid(validateReferStatus(withField(name, ""))), new RegExp(`${name} is empty`));
    });
  }

  for (const [name] of SEED_FIELDS) {
    test(`validateReferStatus() rejects ${name} given twice, even with the same value`, () => {
      const same = [...SEED_FIELDS, SEED_FIELDS.find(([candidate]) => candidate === name) as readonly [string, string]];
      assert.match(expectInvalid(validateReferStatus(same)), new RegExp(`${name} is repeated`));
    });
  }

  test("validateReferStatus() rejects a required field repeated with another value, and names it once", () => {
    const detail = expectInvalid(validateReferStatus([...SEED_FIELDS, ["CallSid", "v3:other"], ["CallSid", "v3:third"]]));
    assert.equal(detail.split("CallSid is repeated").length - 1, 1, detail);
  });

  test("validateReferStatus() rejects an unknown field given twice", () => {
    assert.match(expectInvalid(validateReferStatus([...SEED_FIELDS, ["Extra", "1"], ["Extra", "2"]])), /Extra is repeated/);
  });

  for (const status of ["completed", "In-Progress", "in_progress", " busy", "busy ", "BUSY", "no answer", "__proto__"]) {
    test(`validateReferStatus() rejects ReferCallStatus ${JSON.stringify(status)}, naming the field`, () => {
      const detail = expectInvalid(validateReferStatus(withField("ReferCallStatus", status)));
      assert.match(detail, /ReferCallStatus/);
      assert.ok(detail.includes(JSON.stringify(status)), detail);
    });
  }

  for (const timestamp of ["yesterday", "2024-01-15T10:30:00", "1700000000", "2024-02-30T10:30:00Z", " 2024-01-15T10:30:00Z"]) {
    test(`validateReferStatus() rejects Timestamp ${JSON.stringify(timestamp)}, naming the field`, () => {
      assert.match(expectInvalid(validateReferStatus(withField("Timestamp", timestamp))), /Timestamp/);
    });
  }

  for (const name of SIP_CODE_FIELDS) {
    for (const code of ["99", "700", "2000", "abc", " 200", "200 ", "200\n", "+200", "-200", "2OO", "200.0", "0200", "099", "٢٠٠"]) {
      test(`validateReferStatus() rejects ${name} ${JSON.stringify(code)}, naming the field`, () => {
        const detail = expectInvalid(validateReferStatus(withField(name, code)));
        assert.match(detail, new RegExp(`${name} .* is not a SIP status code`));
      });
    }
  }

  test("validateReferStatus() lists several problems in one detail", () => {
    const fields = withField("NotifySipResponseCode", "700", withField("ReferCallStatus", "completed", withField("AccountSid", undefined)));
    const detail = expectInvalid(validateReferStatus([...fields, ["CallSid", "again"]]));
    for (const part of ["CallSid is repeated", "AccountSid is missing", "ReferCallStatus", "NotifySipResponseCode"]) {
      assert.ok(detail.includes(part), `${part} not in ${detail}`);
    }
    assert.equal(detail.split("; ").length, 4, detail);
  });

  test("validateReferStatus() names every required field when given no fields", () => {
    const detail = expectInvalid(validateReferStatus([]));
    for (const name of REQUIRED) assert.ok(detail.includes(`${name} is missing`), detail);
  });

  test("validateReferStatus() cuts a long bad value short in the detail", () => {
    const detail = expectInvalid(validateReferStatus(withField("ReferCallStatus", "x".repeat(10_000))));
    assert.ok(detail.length < 300, `${detail.length} characters`);
    assert.ok(detail.includes("…"));
  });

  test("validateReferStatus() words and orders its problems exactly as before the registry", () => {
    // Captured from the REFER-only validator (commit 909f319): a detail is part of the HTTP answer.
    const cases: ReadonlyArray<readonly [Fields, string]> = [
      [[], "AccountSid is missing; CallSid is missing; CallSidLegacy is missing; ReferCallStatus is missing; Timestamp is missing"],
      [
        [...withField("ReferCallStatus", "ringing", withField("Timestamp", undefined)), ["CallSid", "again"], ["X", "1"], ["X", "2"]],
        'CallSid is repeated; X is repeated; Timestamp is missing; ReferCallStatus "ringing" is not one of failed, in-progress, busy, canceled, no-answer',
      ],
      [[...withField("CallSidLegacy", ""), ["NotifySipResponseCode", "7"]], "NotifySipResponseCode is repeated; CallSidLegacy is empty"],
      [withField("Timestamp", "yesterday"), 'Timestamp "yesterday" is not a valid date-time with a time zone (RFC 3339 or RFC 2822)'],
      [withField("ReferSipResponseCode", "20"), 'ReferSipResponseCode "20" is not a SIP status code (100-699)'],
    ];
    for (const [fields, detail] of cases) assert.equal(expectInvalid(validateReferStatus(fields)), detail);
  });

  test("validateReferStatus() keeps a detail on one line when a bad value holds a newline", () => {
    assert.match(expectInvalid(validateReferStatus(withField("ReferCallStatus", "busy\nFAKE LOG LINE"))), /\\n/);
  });
});
