// The checked-in src/events/texml-generated.ts is what scripts/generate-texml-types.ts makes of the
// spec (when the spec is beside the clone, as in CI: ../shared/telnyx/texml-calls.yml), the YAML
// reader reads its subset, and the hand-written REFER entry agrees with the spec's table.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { describe, test } from "node:test";
import { DEFAULT_SPEC, GENERATED_MODULE, generateTexmlModule } from "../../scripts/generate-texml-types.ts";
import { parseYamlSubset } from "../../scripts/lib/yaml-subset.ts";
import { TEXML_REFER_STATUS } from "../../src/events/texml-generated.ts";
import { REFER_STATUS } from "../../src/events/texml.ts";

describe("scripts/generate-texml-types.ts", () => {
  const spec = existsSync(DEFAULT_SPEC);
  test("the checked-in module equals the script's output for texml-calls.yml", { skip: spec ? false : `no spec at ${DEFAULT_SPEC} (a clone without ../shared): nothing to compare` }, () => {
    assert.equal(readFileSync(GENERATED_MODULE, "utf8"), generateTexmlModule(readFileSync(DEFAULT_SPEC, "utf8")), "run: node scripts/generate-texml-types.ts");
  });

  test("the REFER entry agrees with the spec's table, plus the <Refer> verb page's no-answer (drift, FAMILY.md §5)", () => {
    const required = (fields: Record<string, { readonly required?: true }>) => Object.keys(fields).filter((name) => fields[name]?.required).sort();
    assert.deepEqual(required(REFER_STATUS.fields), required(TEXML_REFER_STATUS.fields));
    assert.deepEqual(Object.keys(REFER_STATUS.fields).sort(), Object.keys(TEXML_REFER_STATUS.fields).sort());
    assert.deepEqual(REFER_STATUS.fields.ReferCallStatus.oneOf, [...TEXML_REFER_STATUS.fields.ReferCallStatus.oneOf, "no-answer"]);
    assert.equal(REFER_STATUS.fields.Timestamp.format, TEXML_REFER_STATUS.fields.Timestamp.format);
  });
});

describe("parseYamlSubset()", () => {
  test("reads mappings, sequences (of scalars and of mappings), quoted and block scalars, comments", () => {
    const text = [
      "a:",
      "  b: plain value # a comment",
      "  c: 'it''s'",
      '  d: "tab\\there"',
      "  e:",
      "    - one",
      "    - k: v",
      "      l: w",
      "  f: |-",
      "    line 1",
      "      line 2",
      "  g: >-",
      "    folded",
      "    text",
      "  h: []",
      "  '200':",
      "    i: x:y",
    ].join("\n");
    assert.deepEqual(parseYamlSubset(text), {
      a: { b: "plain value", c: "it's", d: "tab\there", e: ["one", { k: "v", l: "w" }], f: "line 1\n  line 2", g: "folded text", h: [], "200": { i: "x:y" } },
    });
  });

  test("refuses what is outside the subset, naming the line", () => {
    assert.throws(() => parseYamlSubset("a: &anchor x\n"), /line 1: YAML feature outside the subset/);
    assert.throws(() => parseYamlSubset("a: [1, 2]\n"), /line 1/);
    assert.throws(() => parseYamlSubset("a:\n  b: 1\n   c: 2\n"), /line 3: unexpected indentation/);
  });
});
