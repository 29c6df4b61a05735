// The README is part of the product: it must name every option the program has, with its default,
// and its version must be the package's.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { OPTIONS } from "../src/options.ts";
import { REJECTION_REASONS } from "../src/pipeline/rejection.ts";
import { VERSION } from "../src/version.ts";

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

test("src/version.ts matches package.json", () => {
  assert.equal(VERSION, pkg.version);
});
