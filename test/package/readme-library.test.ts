// The README's library section shows examples/node-http.ts verbatim (scripts/pack-test.ts runs that
// file against the installed package), and names every function the library exports.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as library from "../../src/index.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const section = readme.slice(readme.indexOf("## Use it as a library"), readme.indexOf("\n## ", readme.indexOf("## Use it as a library") + 1));

test("the README's node:http example is examples/node-http.ts, verbatim", () => {
  const example = readFileSync(new URL("../../examples/node-http.ts", import.meta.url), "utf8");
  assert.ok(section.includes("```ts\n" + example + "```"), "copy examples/node-http.ts into the README's library section");
});

test("the README's library section names every exported function", () => {
  const functions = Object.entries(library).filter(([, value]) => typeof value === "function").map(([name]) => name);
  assert.ok(functions.length > 5, functions.join());
  for (const name of functions) assert.ok(section.includes(`\`${name}(`), `the library section should name ${name}()`);
});
