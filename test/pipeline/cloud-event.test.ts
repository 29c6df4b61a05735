import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, test } from "node:test";

import { SEED_BODY, SEED_FIELDS } from "../../scripts/seed-event.ts";
import { REFER_STATUS, REFER_STATUS_TYPE } from "../../src/events/texml.ts";
import { encodeCloudEvent, toCloudEvent } from "../../src/pipeline/cloud-event.ts";
import { deriveEventId } from "../../src/pipeline/event-id.ts";
import { parseForm } from "../../src/pipeline/parse-form.ts";
import { validateReferStatus, type ReferStatusEvent } from "../../src/pipeline/validate-refer-status.ts";
import { defineFormEventType } from "../../src/events/event-type.ts";
import { indexFields } from "../../src/pipeline/decode.ts";
import { TEXML_CALLBACK } from "../../src/events/texml-docs.ts";
import { validateEvent } from "../../src/pipeline/validate.ts";
import { EXTRA_FIELDS_LINE, EXTRA_FIELDS_SUFFIX, SEED_LINE } from "../support/golden-refer.ts";
import { mulberry32 } from "../support/random.ts";

type Fields = ReadonlyArray<readonly [string, string]>;

function validEvent(fields: Fields): ReferStatusEvent {
  const result = validateReferStatus(fields);
  if (!result.ok) throw new Error(`test fields are invalid: ${result.detail}`);
  return result.event;
}

/** The id the relay gives a REFER status callback with this body (the timestamp does not enter it). */
function referId(body: string): string {
  return deriveEventId(REFER_STATUS, indexFields(parseForm(body)), { body: Buffer.from(body), timestamp: 1_795_420_800 });
}

function withField(name: string, value: string): Fields {
  return SEED_FIELDS.map(([candidate, old]) => [candidate, candidate === name ? value : old] as const);
}

describe("toCloudEvent", () => {
  test("toCloudEvent() builds exactly the CloudEvents 1.0 envelope of the seed event", () => {
    const fields = parseForm(SEED_BODY);
    const id = referId(SEED_BODY);
    const cloudEvent = toCloudEvent(validEvent(fields), id);
    assert.deepEqual(Object.keys(cloudEvent).sort(), ["data", "datacontenttype", "id", "source", "specversion", "subject", "time", "type"]);
    assert.equal(cloudEvent.specversion, "1.0");
    assert.equal(cloudEvent.id, id);
    assert.equal(cloudEvent.type, "com.telnyx.texml.refer.status");
    assert.equal(REFER_STATUS_TYPE, "com.telnyx.texml.refer.status");
    assert.equal(cloudEvent.source, "urn:telnyx:account:f5586561-8ff0-4291-a51b-c7dfe4139ff9");
    assert.equal(cloudEvent.subject, "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ");
    assert.equal(cloudEvent.time, "2024-01-15T10:30:00Z");
    assert.equal(cloudEvent.datacontenttype, "application/json");
    assert.deepEqual(Object.entries(cloudEvent.data), SEED_FIELDS.map(([name, value]) => [name, value]));
  });

  test("toCloudEvent() serialises to the exact JSON a consumer sees", () => {
    const cloudEvent = toCloudEvent(validEvent(SEED_FIELDS), "0123456789abcdef0123456789abcdef");
    assert.deepEqual(JSON.parse(JSON.stringify(cloudEvent)), {
      specversion: "1.0",
      id: "0123456789abcdef0123456789abcdef",
      source: "urn:telnyx:account:f5586561-8ff0-4291-a51b-c7dfe4139ff9",
      type: "com.telnyx.texml.refer.status",
      time: "2024-01-15T10:30:00Z",
      subject: "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ",
      datacontenttype: "application/json",
      data: Object.fromEntries(SEED_FIELDS),
    });
  });

  test("toCloudEvent() takes time from the normalised Timestamp, not the raw field", () => {
    const cloudEvent = toCloudEvent(validEvent(withField("Timestamp", "2021-04-28 21:51:13.591099Z")), "id");
    assert.equal(cloudEvent.time, "2021-04-28T21:51:13.591099Z");
    assert.equal(cloudEvent.data.Timestamp, "2021-04-28 21:51:13.591099Z");
  });

  test("toCloudEvent() takes source and subject from this event's AccountSid and CallSid", () => {
    const cloudEvent = toCloudEvent(validEvent(withField("CallSid", "v3:other")), "id");
    assert.equal(cloudEvent.subject, "v3:other");
    const other = toCloudEvent(validEvent(withField("AccountSid", "0a1b2c3d-0000-4000-8000-000000000000")), "id");
    assert.equal(other.source, "urn:telnyx:account:0a1b2c3d-0000-4000-8000-000000000000");
  });

  test("toCloudEvent() percent-encodes an AccountSid that holds URI-reserved characters, keeping source one URI", () => {
    const cloudEvent = toCloudEvent(validEvent(withField("AccountSid", "a b/c:d")), "id");
    assert.equal(cloudEvent.source, "urn:telnyx:account:a%20b%2Fc%3Ad");
    assert.equal(cloudEvent.data.AccountSid, "a b/c:d");
  });

  test("JSON.stringify() of a CloudEvent is one line, even when values hold newlines", () => {
    const fields: Fields = [...withField("CallSid", "v3:a\nb\r\nc"), ["Note", "line1\nline2\u2028\u2029"]];
    const line = JSON.stringify(toCloudEvent(validEvent(fields), "an-id"));
    assert.equal(line.includes("\n"), false);
    assert.equal(line.includes("\r"), false);
    const parsed = JSON.parse(line) as { subject: string; data: Record<string, string> };
    assert.equal(parsed.subject, "v3:a\nb\r\nc");
    assert.equal(parsed.data.Note, "line1\nline2\u2028\u2029");
  });

  test("JSON.stringify() of a CloudEvent keeps a __proto__ field as data", () => {
    const fields = parseForm(`${SEED_BODY}&__proto__=x`);
    const parsed = JSON.parse(JSON.stringify(toCloudEvent(validEvent(fields), "an-id"))) as { data: object };
    assert.equal(Object.getOwnPropertyDescriptor(parsed.data, "__proto__")?.value, "x");
  });
});

describe("encodeCloudEvent", () => {
  test("encodeCloudEvent() writes the same bytes for REFER status callbacks as before the registry, id included", () => {
    for (const [body, line] of [[SEED_BODY, SEED_LINE], [SEED_BODY + EXTRA_FIELDS_SUFFIX, EXTRA_FIELDS_LINE]] as const) {
      const fields = parseForm(body);
      const encoded = encodeCloudEvent(validEvent(fields), referId(body));
      assert.equal(encoded.json, line);
      assert.equal(encoded.id, JSON.parse(line).id);
    }
  });

  test("encodeCloudEvent() carries the type and subject beside the id and the JSON", () => {
    const encoded = encodeCloudEvent(validEvent(SEED_FIELDS), "id");
    assert.equal(encoded.type, REFER_STATUS_TYPE);
    assert.equal(encoded.subject, "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ");
  });

  test("encodeCloudEvent() and toCloudEvent() leave out time and subject when the event has none, keeping the key order", () => {
    const bare = defineFormEventType({
      media: "form",
      type: "com.example.bare",
      documentedBy: "this test",
      recognisedBy: {},
      fields: { AccountSid: { required: true }, Label: {} },
      source: "AccountSid",
      subject: "Label",
      id: "delivery",
    });
    const result = validateEvent(bare, indexFields([["AccountSid", "a"], ["Label", ""]]));
    assert.ok(result.ok);
    const encoded = encodeCloudEvent(result.event, "id");
    assert.equal(encoded.json, '{"specversion":"1.0","id":"id","source":"urn:telnyx:account:a","type":"com.example.bare","datacontenttype":"application/json","data":{"AccountSid":"a","Label":""}}');
    assert.equal(encoded.json, JSON.stringify(toCloudEvent(result.event, "id")));
    assert.equal(encoded.subject, undefined);
    assert.equal("time" in toCloudEvent(result.event, "id"), false);
  });

  test("encodeCloudEvent() and toCloudEvent() give a generic callback's repeated name once, its values as an array at its first place", () => {
    const body = indexFields([["AccountSid", "a"], ["x", "1"], ["__proto__", "p"], ["y", "2"], ["x", "3"], ["__proto__", "q"]]);
    const result = validateEvent(TEXML_CALLBACK, body);
    assert.ok(result.ok);
    const encoded = encodeCloudEvent(result.event, "id");
    assert.ok(encoded.json.endsWith(',"data":{"AccountSid":"a","x":["1","3"],"__proto__":["p","q"],"y":"2"}}'), encoded.json);
    assert.equal(encoded.json, JSON.stringify(toCloudEvent(result.event, "id")));
  });

  test("encodeCloudEvent() gives the JSON of toCloudEvent(), as one line, with the same id", () => {
    const event = validEvent(SEED_FIELDS);
    const encoded = encodeCloudEvent(event, "0123456789abcdef0123456789abcdef");
    assert.equal(encoded.id, "0123456789abcdef0123456789abcdef");
    assert.ok(!encoded.json.includes("\n"));
    assert.deepEqual(JSON.parse(encoded.json), JSON.parse(JSON.stringify(toCloudEvent(event, encoded.id))));
  });

  test("encodeCloudEvent() writes data in body order, even names that look like array indexes", () => {
    const fields: Fields = [...SEED_FIELDS, ["1", "one"], ["0", "zero"], ["__proto__", "p"], ['quote"d', "line\nbreak"]];
    const encoded = encodeCloudEvent(validEvent(fields), "id");
    const dataText = encoded.json.slice(encoded.json.indexOf('"data":{'));
    const names = [...dataText.matchAll(/"((?:[^"\\]|\\.)*)":"(?:[^"\\]|\\.)*"/g)].map((match) => JSON.parse(`"${match[1]}"`));
    assert.deepEqual(names, fields.map(([name]) => name));
    const data = JSON.parse(encoded.json).data;
    assert.equal(data.__proto__, "p");
    assert.equal(data['quote"d'], "line\nbreak");
  });

  test("encodeCloudEvent() is byte for byte JSON.stringify(toCloudEvent()) for values with every kind of character JSON escapes", () => {
    const random = mulberry32(20261127);
    const alphabet = ['"', "\\", "\n", "\u0000", "\u001f", "\u007f", "\u2028", "\ud800", "\udfff", "😀", "é", "a", " ", "/", "<"];
    for (let n = 0; n < 2_000; n++) {
      const text = Array.from({ length: Math.floor(random() * 6) }, () => alphabet[Math.floor(random() * alphabet.length)]).join("");
      const event = validEvent([...SEED_FIELDS.filter(([name]) => name !== "CallSid"), ["CallSid", `v3:${text}`], [`Extra${text}`, text]]);
      assert.equal(encodeCloudEvent(event, "0123456789abcdef0123456789abcdef").json, JSON.stringify(toCloudEvent(event, "0123456789abcdef0123456789abcdef")), JSON.stringify(text));
    }
  });

  test("encodeCloudEvent() of a tampered event differs from the original", () => {
    const original = encodeCloudEvent(validEvent(SEED_FIELDS), "id").json;
    assert.notEqual(encodeCloudEvent(validEvent(withField("ReferCallStatus", "busy")), "id").json, original);
  });
});
