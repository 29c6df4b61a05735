// The README is part of the product: its options table is the option table's (every option, its
// variable, its default and its meaning, in table order), and its version must be the package's.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { OPTION_NAMES, OPTIONS, type OptionName } from "../src/config/options.ts";
import { REJECTION_REASONS } from "../src/pipeline/rejection.ts";
import { VERSION } from "../src/lib/version.ts";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string };

/** The README's row for an option, made from its row in the table. */
function readmeRow(name: OptionName): string {
  const spec = OPTIONS[name];
  const fallback = spec.default !== undefined ? `\`${spec.default}\`` : spec.unset === "" ? "—" : `— (${spec.unset})`;
  return `| \`--${name} ${spec.value}\` | \`${spec.env}\` | ${fallback} | ${spec.doc} |`;
}

test("the README's options table is made from the option table: every option, in order, with its variable, default and meaning", () => {
  const rows = OPTION_NAMES.map(readmeRow).join("\n");
  const header = "| flag | environment variable | default | meaning |\n| --- | --- | --- | --- |\n";
  assert.ok(readme.includes(`${header}${rows}\n| \`-h\`, \`--help\``), `README's options table should read:\n${header}${rows}`);
});

test("the README's options table names every flag, variable and default (a second look, row by row)", () => {
  for (const name of OPTION_NAMES) {
    const spec = OPTIONS[name];
    const row = readme.split("\n").find((line) => line.startsWith(`| \`--${name} `));
    assert.ok(row, `README has no options row for --${name}`);
    assert.ok(row.includes(`\`${spec.env}\``), `the --${name} row names ${spec.env}`);
    if (spec.default !== undefined) assert.ok(row.includes(`\`${spec.default}\``), `the --${name} row gives the default ${spec.default}`);
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
