import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { encodeForm, SEED_BODY, SEED_FIELDS } from "../../scripts/seed-event.ts";
import { REFER_STATUS } from "../../src/events/texml.ts";
import { indexFields } from "../../src/pipeline/decode.ts";
import { deriveEventId, eventId } from "../../src/pipeline/event-id.ts";
import { parseForm } from "../../src/pipeline/parse-form.ts";

type Fields = ReadonlyArray<readonly [string, string]>;

describe("eventId", () => {
  test("eventId() is 32 lowercase hex characters", () => {
    for (const fields of [SEED_FIELDS, [], [["", ""]], [["é", "€\u{1F600}"]]] as const satisfies readonly Fields[]) {
      assert.match(eventId(fields), /^[0-9a-f]{32}$/);
    }
  });

  test("eventId() is the same for the same fields, given as separate but equal arrays", () => {
    const copy: Fields = SEED_FIELDS.map(([name, value]) => [`${name}`, `${value}`]);
    assert.equal(eventId(SEED_FIELDS), eventId(copy));
    assert.equal(eventId(SEED_FIELDS), eventId(SEED_FIELDS));
  });

  test("eventId() differs when any one name or value changes", () => {
    const base = eventId(SEED_FIELDS);
    const seen = new Set([base]);
    SEED_FIELDS.forEach(([name, value], index) => {
      for (const changed of [
        SEED_FIELDS.map((pair, i) => (i === index ? ([`${name}x`, value] as const) : pair)),
        SEED_FIELDS.map((pair, i) => (i === index ? ([name, `${value}x`] as const) : pair)),
        SEED_FIELDS.map((pair, i) => (i === index ? ([name.toLowerCase(), value] as const) : pair)),
      ]) {
        const id = eventId(changed);
        assert.notEqual(id, base, JSON.stringify(changed[index]));
        seen.add(id);
      }
    });
    assert.equal(seen.size, 1 + SEED_FIELDS.length * 3);
  });

  test("eventId() differs when a field is added, removed, or the order changes", () => {
    const base = eventId(SEED_FIELDS);
    assert.notEqual(eventId([...SEED_FIELDS, ["Extra", ""]]), base);
    assert.notEqual(eventId(SEED_FIELDS.slice(1)), base);
    assert.notEqual(eventId([...SEED_FIELDS].reverse()), base);
  });

  const ambiguous: ReadonlyArray<readonly [string, Fields, Fields]> = [
    ['("ab","c") and ("a","bc")', [["ab", "c"]], [["a", "bc"]]],
    ["one field and the same text split into two", [["a", "bc"]], [["a", "b"], ["c", ""]]],
    ["a name and a value swapped", [["a", "b"]], [["b", "a"]]],
    ["an empty field and no field", [["", ""]], []],
    ["a length prefix spelled inside a value", [["a", "1:b"]], [["a", ""], ["b", ""]]],
    ["digits that could be read as a length", [["1", "2"]], [["12", ""]]],
    ["an = moved between name and value", [["a=b", "c"]], [["a", "b=c"]]],
    ["an & inside a value and two fields", [["a", "b&c=d"]], [["a", "b"], ["c", "d"]]],
    ["a : inside a name", [["a:b", ""]], [["a", "b"]]],
  ];
  for (const [name, left, right] of ambiguous) {
    test(`eventId() tells apart ${name}`, () => {
      assert.notEqual(eventId(left), eventId(right));
    });
  }

  test("eventId() is the same for two bodies that differ only in percent-encoding (a redelivery)", () => {
    const encoded = "CallSid=v3%3Aabc&Timestamp=2024-01-15T10%3A30%3A00Z&Note=a+b";
    const plain = "CallSid=v3:abc&Timestamp=2024-01-15T10:30:00Z&Note=a%20b";
    assert.notEqual(encoded, plain);
    assert.equal(eventId(parseForm(encoded)), eventId(parseForm(plain)));
    assert.equal(eventId(parseForm(SEED_BODY)), eventId(SEED_FIELDS));
  });

  test("eventId() differs for two bodies whose decoded values differ", () => {
    assert.notEqual(eventId(parseForm("CallSid=v3%3Aabc")), eventId(parseForm("CallSid=v3%3Aabd")));
    // %2B is a literal +, and + is a space: not the same value.
    assert.notEqual(eventId(parseForm("From=%2B15551234567")), eventId(parseForm("From=+15551234567")));
    const body = encodeForm(SEED_FIELDS);
    assert.notEqual(eventId(parseForm(body)), eventId(parseForm(body.replace("ReferSipResponseCode=202", "ReferSipResponseCode=200"))));
    // The twin: a trailing & adds no field, so the id stays.
    assert.equal(eventId(parseForm(body)), eventId(parseForm(`${body}&`)));
  });
});

describe("deriveEventId", () => {
  test("deriveEventId() of a REFER status callback is eventId() of its fields (the hash-of-fields rule)", () => {
    assert.equal(REFER_STATUS.id, "hash-of-fields");
    assert.equal(deriveEventId(REFER_STATUS, indexFields(parseForm(SEED_BODY))), eventId(SEED_FIELDS));
    assert.equal(deriveEventId(REFER_STATUS, indexFields(SEED_FIELDS)), "0c3009a5a081707385f2effb8111b053", "the same id as before the registry");
  });
});
