// The library's page, docs/library.md (the README's "Use it as a library" links it), shows
// examples/node-http.ts verbatim (scripts/pack-test.ts runs that file against the installed
// package), and names every function the library exports.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import * as library from "../../src/index.ts";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const page = readFileSync(new URL("../../docs/library.md", import.meta.url), "utf8");

test("the README's library section links docs/library.md", () => {
  const start = readme.indexOf("\n## Use it as a library\n");
  assert.ok(start >= 0, "the README has a \"Use it as a library\" section");
  assert.ok(readme.slice(start, readme.indexOf("\n## ", start + 1)).includes("](docs/library.md)"));
});

test("docs/library.md's node:http example is examples/node-http.ts, verbatim", () => {
  const example = readFileSync(new URL("../../examples/node-http.ts", import.meta.url), "utf8");
  assert.ok(page.includes("```ts\n" + example + "```"), "copy examples/node-http.ts into docs/library.md");
});

test("docs/library.md names every exported function", () => {
  const functions = Object.entries(library).filter(([, value]) => typeof value === "function").map(([name]) => name);
  assert.ok(functions.length > 5, functions.join());
  for (const name of functions) assert.ok(page.includes(`\`${name}(`), `docs/library.md should name ${name}()`);
});
