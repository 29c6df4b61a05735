import assert from "node:assert/strict";
import { test } from "node:test";
import { editBody } from "../../src/commands/edit-body.ts";

const FORM = "application/x-www-form-urlencoded";
const JSON_TYPE = "application/json";

test("editBody() replaces a form field in place, encoding + as %2B and a space as +", () => {
  const edited = editBody(FORM, "A=1&Timestamp=x&B=2", ["Timestamp=Mon, 15 Jan 2024 10:30:00 +0000"]);
  assert.deepEqual(edited, { ok: true, body: "A=1&Timestamp=Mon%2C+15+Jan+2024+10%3A30%3A00+%2B0000&B=2" });
  assert.equal(new URLSearchParams(edited.ok ? edited.body : "").get("Timestamp"), "Mon, 15 Jan 2024 10:30:00 +0000");
});

test("editBody() appends a form field that is absent, and keeps '=' in the value", () => {
  assert.deepEqual(editBody(FORM, "A=1", ["B=x=y"]), { ok: true, body: "A=1&B=x%3Dy" });
});

test("editBody() leaves the body byte for byte as it was when there is nothing to set", () => {
  assert.deepEqual(editBody(FORM, "A=%7e", []), { ok: true, body: "A=%7e" });
});

test("editBody() sets a dotted JSON path, creating objects on the way; strings stay strings", () => {
  const body = JSON.stringify({ data: { payload: { call_control_id: "old", count: 1 } } });
  const edited = editBody(JSON_TYPE, body, ["data.payload.call_control_id=v3:new", "data.payload.count=3", "data.meta.attempt=2"]);
  assert.ok(edited.ok);
  assert.deepEqual(JSON.parse(edited.body), { data: { payload: { call_control_id: "v3:new", count: 3 }, meta: { attempt: "2" } } });
});

test("editBody() refuses a malformed edit, a path through a non-object, __proto__, and a non-JSON value for a number", () => {
  const body = JSON.stringify({ data: { n: 1, s: "x" } });
  for (const [set, message] of [
    ["no-equals", /expected NAME=VALUE/],
    ["=x", /expected NAME=VALUE/],
    ["data.s.deeper=1", /s is not an object/],
    ["__proto__.polluted=1", /not a path to a field/],
    ["data.n=abc", /is not JSON/],
  ] as const) {
    const edited = editBody(JSON_TYPE, body, [set]);
    assert.equal(edited.ok, false, set);
    assert.match(edited.ok ? "" : edited.message, message);
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.match((editBody(JSON_TYPE, "A=1", ["a=1"]) as { message: string }).message, /not JSON/);
});
