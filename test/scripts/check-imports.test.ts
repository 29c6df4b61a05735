import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";

import { findImportCycles, importsOf } from "../../scripts/check-imports.ts";
import { isDeno } from "../support/runtime.ts";

const SCRIPT = fileURLToPath(new URL("../../scripts/check-imports.ts", import.meta.url));
const root = mkdtempSync(join(tmpdir(), "telnyx-relay-imports-"));
after(() => rmSync(root, { recursive: true, force: true }));
let trees = 0;

/** Writes a small source tree (path → text) to a fresh directory. */
function writeTree(files: Record<string, string>): string {
  const dir = join(root, `t${trees++}`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

/** Runs the script as `npm test` does, on `dir`. */
function run(dir: string, ...flags: string[]): { status: number | null; stdout: string; stderr: string } {
  const args = isDeno ? ["run", "--allow-read", SCRIPT, dir, ...flags] : [SCRIPT, dir, ...flags];
  const result = spawnSync(process.execPath, args, { encoding: "utf8" });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

// a → b → c → a, written with three kinds of import; d only imports a (it is in no cycle).
const CYCLIC = {
  "a.ts": 'import { b } from "./b.ts";\nexport const a = b;\n',
  "b.ts": 'export { c as b } from "./c.ts";\n',
  "c.ts": 'export const c = 1;\nexport async function load() {\n  return await import("./a.ts");\n}\n',
  "d.ts": 'import type { a } from "./a.ts";\n',
};

describe("importsOf()", () => {
  test("finds static, type-only, multi-line, side-effect, re-export and dynamic imports", () => {
    const source = [
      'import { a } from "./a.ts";',
      'import type { B } from "../b.ts";',
      "import {",
      "  c,",
      "  type D,",
      '} from "./c.ts";',
      'import "./side-effect.ts";',
      'import * as e from "node:path";',
      'export { f } from "./f.ts";',
      'export type * from "./g.ts";',
      'const h = await import("./h.ts");',
    ].join("\n");
    assert.deepEqual(importsOf(source), ["./a.ts", "../b.ts", "./c.ts", "./side-effect.ts", "node:path", "./f.ts", "./g.ts", "./h.ts"]);
  });

  test("imports inside comments do not count; a // inside a string or a quote inside a regex does not hide the next import", () => {
    const source = [
      "/**",
      " * @example",
      ' * const { x } = await import("./in-jsdoc.ts");',
      ' * import { y } from "./in-jsdoc-too.ts";',
      " */",
      '// import { z } from "./in-line-comment.ts";',
      'const url = "http://example.com/"; const quote = /"/; const re = /[/"]/;',
      'import { real } from "./real.ts";',
      'const later = () => import("./dynamic.ts"); /* import("./in-block.ts") */',
    ].join("\n");
    assert.deepEqual(importsOf(source), ["./real.ts", "./dynamic.ts"]);
  });
});

describe("findImportCycles()", () => {
  test("names a file cycle made of static, re-export and dynamic imports, and only its members", () => {
    const { files, folders } = findImportCycles(new Map(Object.entries(CYCLIC)));
    assert.equal(files.length, 1);
    assert.deepEqual(files[0]?.loop, ["a.ts", "b.ts", "c.ts", "a.ts"]);
    assert.deepEqual(files[0]?.members, ["a.ts", "b.ts", "c.ts"]);
    assert.deepEqual(folders, [], "one folder: no folder cycle");
  });

  test("the twin: without the dynamic import there is no cycle", () => {
    const acyclic = { ...CYCLIC, "c.ts": "export const c = 1;\n" };
    assert.deepEqual(findImportCycles(new Map(Object.entries(acyclic))), { files: [], folders: [] });
  });

  test("a file that imports itself is a cycle", () => {
    const { files } = findImportCycles(new Map([["self.ts", 'import "./self.ts";\n']]));
    assert.deepEqual(files[0]?.loop, ["self.ts", "self.ts"]);
  });

  test("folders that import each other are a folder cycle (with a file import behind each step) even when no files form one", () => {
    const sources = new Map(
      Object.entries({
        "sinks/sink.ts": 'import type { Event } from "../pipeline/event.ts";\n',
        "pipeline/event.ts": "export type Event = string;\n",
        "pipeline/relay.ts": 'import type { Sink } from "../sinks/sink.ts";\n',
        "app.ts": 'import "./pipeline/relay.ts";\n',
      }),
    );
    const { files, folders } = findImportCycles(sources);
    assert.deepEqual(files, []);
    assert.equal(folders.length, 1);
    assert.deepEqual(folders[0]?.loop, ["pipeline", "sinks", "pipeline"]);
    assert.deepEqual(folders[0]?.via, ["pipeline/relay.ts → sinks/sink.ts", "sinks/sink.ts → pipeline/event.ts"]);
  });
});

describe("node scripts/check-imports.ts <dir>", () => {
  test("exits 1 on a cyclic tree, naming the cycle", () => {
    const { status, stderr } = run(writeTree(CYCLIC));
    assert.equal(status, 1, stderr);
    assert.match(stderr, /^import cycle between files: a\.ts → b\.ts → c\.ts → a\.ts$/m);
  });

  test("the twin: exits 0 on the same tree without the cycle", () => {
    const { status, stdout, stderr } = run(writeTree({ ...CYCLIC, "c.ts": "export const c = 1;\n" }));
    assert.equal(status, 0, stderr);
    assert.match(stdout, /4 files .* no file import cycle/);
  });

  test("a folder cycle alone is a warning, and an error with --folders", () => {
    const dir = writeTree({ "x/a.ts": 'import "../y/b.ts";\n', "y/b.ts": "export {};\n", "y/c.ts": 'import "../x/d.ts";\n', "x/d.ts": "export {};\n" });
    const warned = run(dir);
    assert.equal(warned.status, 0, warned.stderr);
    assert.match(warned.stderr, /^import cycle between folders: x → y → x; by x\/a\.ts → y\/b\.ts, y\/c\.ts → x\/d\.ts$/m);
    assert.equal(run(dir, "--folders").status, 1);
  });
});
