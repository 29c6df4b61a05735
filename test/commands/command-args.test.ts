import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCommandArgs } from "../../src/commands/command-args.ts";
import { findExample, listTypes } from "../../src/commands/send.ts";
import { subcommand } from "../../src/commands/commands.ts";
import { EXAMPLES } from "../../src/events/examples.ts";

const SPEC = { valued: new Set(["to", "set"]), switches: new Map([["list", undefined]]) };

test("parseCommandArgs() takes positionals anywhere, and an option's value whatever it starts with", () => {
  const parsed = parseCommandArgs(["--to", "-x", "refer", "--set", "A=1", "--list", "--set=B=2", "--", "--literal"], SPEC);
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.positionals, ["refer", "--literal"]);
  assert.deepEqual(parsed.argv.values.get("to"), ["-x"]);
  assert.deepEqual(parsed.argv.values.get("set"), ["A=1", "B=2"]);
  assert.ok(parsed.argv.switches.has("list"));
});

test("parseCommandArgs() refuses an unknown option and a valued option at the end", () => {
  assert.deepEqual(parseCommandArgs(["--tp", "x"], SPEC), { ok: false, message: "Unknown option '--tp'" });
  assert.deepEqual(parseCommandArgs(["x", "--to"], SPEC), { ok: false, message: "Option '--to' needs a value" });
});

test("findExample() knows every registered type, with or without com.telnyx.", () => {
  for (const example of EXAMPLES) {
    assert.equal(findExample(example.type), example);
    assert.equal(findExample(example.type.replace(/^com\.telnyx\./, "")), example);
  }
  assert.equal(findExample("texml"), undefined);
  assert.equal(listTypes().split("\n").length - 1, EXAMPLES.length);
});

test("subcommand() names keygen, send and replay only (not an inherited property)", () => {
  for (const name of ["keygen", "send", "replay"]) assert.equal(typeof subcommand([name]), "function");
  for (const argv of [[], ["--port", "0"], ["toString"], ["help"], ["healthcheck"]]) assert.equal(subcommand(argv), undefined);
});
