import assert from "node:assert/strict";
import { test } from "node:test";
import { JSON_MAX_DEPTH, parseStrictJson } from "../../src/pipeline/parse-json.ts";

test("parseStrictJson() parses a valid object and gives its text back unchanged", () => {
  const text = '{"b":1,"a":[{"x":"y:z,\\"{"}],"__proto__":null}';
  const parsed = parseStrictJson(text);
  assert.ok(parsed.ok);
  assert.equal(parsed.text, text);
  assert.deepEqual(Object.keys(parsed.value as object), ["b", "a", "__proto__"]);
});

test("parseStrictJson() refuses a key given twice, at any depth, naming it; colons and braces inside strings do not count", () => {
  assert.deepEqual(parseStrictJson('{"a":1,"a":2}'), { ok: false, problem: 'the body has the key "a" twice in one object' });
  assert.deepEqual(parseStrictJson('{"x":[{"k":"a:b"},{"k":"{","k":"}"}]}'), { ok: false, problem: 'the body has the key "k" twice in one object' });
  assert.deepEqual(parseStrictJson('{"\\u0061":1,"a":2}'), { ok: false, problem: 'the body has the key "a" twice in one object' });
  // The same key in two different objects is fine.
  assert.ok(parseStrictJson('{"a":{"a":1},"b":{"a":2}}').ok);
});

test("parseStrictJson() refuses nesting past the limit and accepts it at the limit", () => {
  assert.ok(parseStrictJson(`${"[".repeat(JSON_MAX_DEPTH)}${"]".repeat(JSON_MAX_DEPTH)}`).ok);
  const deep = parseStrictJson(`${"[".repeat(JSON_MAX_DEPTH + 1)}${"]".repeat(JSON_MAX_DEPTH + 1)}`);
  assert.deepEqual(deep, { ok: false, problem: `the body nests deeper than ${JSON_MAX_DEPTH} levels` });
  // A string full of brackets is not nesting.
  assert.ok(parseStrictJson(`{"s":"${"[".repeat(1000)}"}`).ok);
});

test("parseStrictJson() refuses invalid JSON in one line, and removes line breaks between tokens", () => {
  const bad = parseStrictJson('{"a":\n1,}');
  assert.equal(bad.ok, false);
  assert.ok(!bad.ok && /^the body is not valid JSON \(/.test(bad.problem) && !bad.problem.includes("\n"));
  const pretty = parseStrictJson('{\r\n  "a": "x\\ny"\n}');
  assert.ok(pretty.ok);
  assert.equal(pretty.text, '{  "a": "x\\ny"}');
});
