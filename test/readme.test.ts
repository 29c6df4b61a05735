// The README is part of the product: it must name every option the program has, with its default,
// and its version must be the package's.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { OPTIONS } from "../src/config/options.ts";
import { REJECTION_REASONS } from "../src/pipeline/rejection.ts";
import { VERSION } from "../src/lib/version.ts";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

test("the README documents every flag and environment variable with its default", () => {
  for (const spec of OPTIONS) {
    const row = readme.split("\n").find((line) => line.startsWith(`| \`--${spec.flag} `));
    assert.ok(row, `README has no options row for --${spec.flag}`);
    assert.ok(row.includes(`\`${spec.env}\``), `the --${spec.flag} row names ${spec.env}`);
    if (spec.default !== undefined) assert.ok(row.includes(`\`${spec.default}\``), `the --${spec.flag} row gives the default ${spec.default}`);
  }
});

test("the README's status table names every rejection reason", () => {
  for (const reason of REJECTION_REASONS) assert.ok(readme.includes(`\`${reason}\``), reason);
});

test("src/lib/version.ts matches package.json", () => {
  assert.equal(VERSION, pkg.version);
});

test("npm start and deno.json's start task give V8 the young-generation size the binary has baked in", async () => {
  const { SEMI_SPACE_MB } = await import("../scripts/semi-space.ts");
  const flag = `--max-semi-space-size=${SEMI_SPACE_MB}`;
  const scripts = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { scripts: Record<string, string> }).scripts;
  assert.ok(scripts.start?.includes(` ${flag} `), scripts.start);
  const deno = JSON.parse(readFileSync(new URL("../deno.json", import.meta.url), "utf8")) as { tasks: Record<string, string> };
  assert.ok(deno.tasks.start?.includes(`--v8-flags=${flag} `), deno.tasks.start);
});
