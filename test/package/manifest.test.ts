// The package manifests point where the build puts things: package.json's `exports`, `types`, `bin`
// and `files` (npm), deno.json's `name`, `version` and `exports` (JSR), and tsconfig.build.json's
// src/ → dist/npm/ mapping they rely on. scripts/pack-test.ts then installs the real tarball.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import process from "node:process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { isDeno } from "../support/runtime.ts";

const read = (path: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(`../../${path}`, import.meta.url), "utf8")) as Record<string, unknown>;
const exists = (path: string): boolean => existsSync(new URL(`../../${path}`, import.meta.url));
const pkg = read("package.json") as {
  version: string;
  type: string;
  exports: Record<string, unknown>;
  types: string;
  bin: Record<string, string>;
  files: string[];
  engines: { node: string };
  scripts: Record<string, string>;
  dependencies?: unknown;
};
// tsconfig.build.json has comments: they are removed before parsing (none sits inside a string).
const buildConfig = JSON.parse(readFileSync(new URL("../../tsconfig.build.json", import.meta.url), "utf8").replace(/^\s*\/\/.*$/gm, "")) as {
  compilerOptions: { rootDir: string; outDir: string; declaration: boolean; rewriteRelativeImportExtensions: boolean };
  files: string[];
};
/** The source file tsc compiles to a dist/npm/ path (rootDir src → outDir dist/npm). */
const sourceOf = (built: string): string => built.replace(/^\.\/dist\/npm\//, "src/").replace(/\.d\.ts$|\.js$/, ".ts");

test("tsconfig.build.json compiles src/ to dist/npm/ with declarations and .js imports", () => {
  assert.equal(buildConfig.compilerOptions.rootDir, "src");
  assert.equal(buildConfig.compilerOptions.outDir, "dist/npm");
  assert.equal(buildConfig.compilerOptions.declaration, true);
  assert.equal(buildConfig.compilerOptions.rewriteRelativeImportExtensions, true);
  assert.deepEqual(buildConfig.files.toSorted(), ["src/index.ts", "src/main.ts"]);
});

test("package.json exports the compiled library, types first, from src/index.ts", () => {
  assert.equal(pkg.type, "module");
  const root = pkg.exports["."] as Record<string, string>;
  assert.deepEqual(Object.keys(root), ["types", "default"], "`types` must come first to be used");
  assert.equal(root.types, "./dist/npm/index.d.ts");
  assert.equal(root.default, "./dist/npm/index.js");
  assert.equal(pkg.types, root.types);
  for (const target of Object.values(root)) assert.equal(sourceOf(target), "src/index.ts");
});

test("the bin exists, and the tarball's files are the bin, dist/npm/ and docs/ (the README links it) only", () => {
  assert.deepEqual(Object.values(pkg.bin), ["bin/telnyx-relay.js"]);
  assert.ok(exists("bin/telnyx-relay.js"));
  assert.deepEqual(pkg.files, ["bin/telnyx-relay.js", "dist/npm/", "docs/"]);
  assert.equal(pkg.dependencies, undefined, "zero runtime dependencies");
  assert.equal(pkg.scripts.prepack, "npm run build:lib");
});

test("engines: Node 20.12 for the library (crypto.hash), which the bin's check below 22 sits above", () => {
  assert.equal(pkg.engines.node, "^20.12.0 || >=21.7.0");
  assert.match(readFileSync(new URL("../../bin/telnyx-relay.js", import.meta.url), "utf8"), /if \(major < 22\)/);
});

// The machine's Node 20 (/usr/bin/node, as MACHINE.md says CI has); Node 22 is run by scripts/pack-test.ts.
const node20 = spawnSync("/usr/bin/node", ["--version"], { encoding: "utf8" }).stdout?.startsWith("v20.") ? "/usr/bin/node" : undefined;
test("the bin on Node 20: exit 2 and one line saying the relay needs Node 22 (the library does not)", { skip: (isDeno || node20 === undefined) && "needs Node with /usr/bin/node being Node 20" }, () => {
  const bin = fileURLToPath(new URL("../../bin/telnyx-relay.js", import.meta.url));
  const old = spawnSync(node20 as string, [bin, "--version"], { encoding: "utf8" });
  assert.equal(old.status, 2);
  assert.equal(old.stdout, "");
  assert.match(old.stderr, /^telnyx-relay: the relay needs Node\.js 22 or later \(this is v20\.[^\n]*Node 20\.12[^\n]*\n$/);
  const current = spawnSync(process.execPath, [bin, "--version"], { encoding: "utf8" });
  assert.equal(current.status, 0, current.stderr);
  assert.match(current.stdout, /^telnyx-relay \S+ \(node v\d+/);
});

test("deno.json: a JSR name, package.json's version, the library's entry point", () => {
  const deno = read("deno.json") as { name: string; version: string; exports: string; license: string; publish: { include: string[] } };
  assert.match(deno.name, /^@[a-z0-9-]+\/[a-z0-9-]+$/);
  assert.equal(deno.version, pkg.version);
  assert.equal(deno.exports, "./src/index.ts");
  assert.ok(exists(deno.exports));
  assert.ok(deno.publish.include.includes("src/"));
  assert.ok(deno.publish.include.includes("docs/"), "the README links docs/");
  assert.equal(deno.license, "MIT");
});
