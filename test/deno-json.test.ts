// deno.json runs the relay with the narrowest permissions: exactly the environment variables the
// relay reads, no subprocesses, no FFI. A new option must be added there too, or Deno refuses it.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { OPTION_NAMES, OPTIONS } from "../src/config/options.ts";

const deno = JSON.parse(readFileSync(new URL("../deno.json", import.meta.url), "utf8")) as { tasks: Record<string, string> };
const start = deno.tasks.start?.split(/\s+/) ?? [];

test("deno.json's start task runs src/main.ts with deno run", () => {
  assert.ok(start[0]?.endsWith("deno"), deno.tasks.start);
  assert.equal(start[1], "run");
  assert.equal(start.at(-1), "src/main.ts");
});

test("deno.json's start task allows exactly the environment variables of OPTIONS, in table order", () => {
  const allowEnv = start.filter((word) => word.startsWith("--allow-env"));
  assert.equal(allowEnv.length, 1, "one --allow-env=NAMES");
  const names = (allowEnv[0] as string).replace(/^--allow-env=/, "").split(",");
  const expected = OPTION_NAMES.map((name) => OPTIONS[name].env);
  assert.deepEqual(names, expected, `the list from the table: --allow-env=${expected.join(",")}`);
});

test("deno.json's start task grants no subprocesses, FFI, system info or blanket permissions", () => {
  for (const word of start) {
    assert.doesNotMatch(word, /^(-A|--allow-all|--allow-run|--allow-ffi|--allow-sys|--allow-import)/, word);
    if (/^--allow-(read|write)/.test(word)) assert.match(word, /=/, `${word} must name its paths`);
  }
  assert.ok(start.includes("--allow-write=telnyx-relay-dead-letter.jsonl"), "the default dead-letter file, and nothing else");
  // Read too: the file is read back when it is opened (to recognise a record it holds already).
  assert.ok(start.includes("--allow-read=telnyx-relay-dead-letter.jsonl"), "reading the default dead-letter file, and nothing else");
});

test("deno.json has start and test tasks", () => {
  assert.ok(deno.tasks.test?.includes(" test "), deno.tasks.test);
});
