import assert from "node:assert/strict";
import { test } from "node:test";
import { warnOncePerKind } from "../../src/pipeline/unknown-kinds.ts";

test("warnOncePerKind() warns once per kind (type and event_type), then stops after the limit with one last warning", () => {
  const warnings: Array<Readonly<Record<string, unknown>>> = [];
  const unknown = warnOncePerKind((message, fields) => warnings.push({ message, ...fields }), 3);
  unknown("com.telnyx.webhook", "call.a");
  unknown("com.telnyx.webhook", "call.a");
  unknown("com.telnyx.webhook", undefined);
  unknown("com.telnyx.texml.callback", undefined);
  assert.deepEqual(warnings.map((warning) => [warning.type, warning.eventType]), [["com.telnyx.webhook", "call.a"], ["com.telnyx.webhook", null], ["com.telnyx.texml.callback", null]]);
  unknown("com.telnyx.webhook", "call.b");
  unknown("com.telnyx.webhook", "call.c");
  assert.equal(warnings.length, 4);
  assert.match(String(warnings[3]?.message), /too many unknown kinds/);
});

test("warnOncePerKind() cuts a long event_type to 100 characters (it is the sender's text)", () => {
  const warnings: Array<Readonly<Record<string, unknown>>> = [];
  const unknown = warnOncePerKind((message, fields) => warnings.push({ message, ...fields }));
  unknown("com.telnyx.webhook", "x".repeat(5000));
  unknown("com.telnyx.webhook", `${"x".repeat(100)}y`);
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]?.eventType, "x".repeat(100));
});

test("warnOncePerKind() logs an event_type well-formed: a lone surrogate, or a pair cut at 100 characters, is U+FFFD", () => {
  const warnings: Array<Readonly<Record<string, unknown>>> = [];
  const unknown = warnOncePerKind((message, fields) => warnings.push({ message, ...fields }));
  unknown("com.telnyx.webhook", "call.\udc00");
  unknown("com.telnyx.webhook", `${"x".repeat(99)}😀`);
  assert.deepEqual(warnings.map((warning) => warning.eventType), ["call.\ufffd", `${"x".repeat(99)}\ufffd`]);
  assert.ok(warnings.every((warning) => JSON.stringify(warning).isWellFormed() && !/\\ud[89a-f]/.test(JSON.stringify(warning))));
});
