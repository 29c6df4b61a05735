import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, test } from "node:test";

import { SEED_BODY, SEED_FIELDS } from "../../scripts/seed-event.ts";
import { decodeBody, indexFields, unsupportedMediaType } from "../../src/pipeline/decode.ts";
import { parseForm } from "../../src/pipeline/parse-form.ts";
import { statusOf } from "../../src/pipeline/rejection.ts";

describe("decodeBody()", () => {
  test("decodeBody() decodes a form body with the WHATWG parser and indexes it", () => {
    const body = decodeBody("form", Buffer.from(SEED_BODY));
    assert.equal(body.media, "form");
    assert.deepEqual(body.fields, parseForm(SEED_BODY));
    assert.deepEqual(Object.entries(body.data), SEED_FIELDS.map(([name, value]) => [name, value]));
    assert.deepEqual(body.repeated, []);
  });

  test("decodeBody() takes any bytes as a form: nothing to refuse before validation", () => {
    const body = decodeBody("form", Uint8Array.from([0xff, 0x3d, 0x26, 0x26]));
    assert.deepEqual(body.fields, [["\ufffd", ""]]);
  });
});

describe("indexFields()", () => {
  test("indexFields() keeps the first value of a name and lists each repeated name once, in body order", () => {
    const body = indexFields([["b", "1"], ["a", "2"], ["b", "3"], ["c", ""], ["a", "4"], ["b", "5"]]);
    assert.deepEqual({ ...body.data }, { b: "1", a: "2", c: "" });
    assert.deepEqual(body.repeated, ["b", "a"]);
  });

  test("indexFields() counts an empty value as given: a second one is a repeat", () => {
    assert.deepEqual(indexFields([["a", ""], ["a", ""]]).repeated, ["a"]);
  });

  test("indexFields() makes data a null-prototype record, so __proto__ and constructor are just names", () => {
    const body = indexFields([["__proto__", "x"], ["constructor", "y"]]);
    assert.equal(Object.getPrototypeOf(body.data), null);
    assert.deepEqual(Object.keys(body.data), ["__proto__", "constructor"]);
    assert.equal(indexFields([]).data.toString, undefined);
  });

  test("indexFields() keeps the fields it was given, in order", () => {
    const fields = [["1", "one"], ["0", "zero"]] as const;
    assert.equal(indexFields(fields).fields, fields);
  });
});

test("unsupportedMediaType() is a 415 naming the form and JSON media types", () => {
  const rejection = unsupportedMediaType();
  assert.equal(statusOf(rejection.reason), 415);
  assert.equal(rejection.detail, "Content-Type must be one of application/x-www-form-urlencoded, application/json");
});
