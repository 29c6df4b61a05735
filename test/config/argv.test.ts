// parseArgv, the getopt-like command-line parser: table-driven, pure.
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseArgv, type ArgvSpec } from "../../src/config/argv.ts";

const SPEC: ArgvSpec = {
  valued: new Set(["port", "public-key", "path"]),
  switches: new Map([
    ["help", "h"],
    ["version", "V"],
    ["quiet", undefined],
  ]),
};
const PEM = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n-----END PUBLIC KEY-----";

// [what, argv, values, switches]
const accepted: ReadonlyArray<readonly [string, readonly string[], Record<string, string[]>, string[]]> = [
  ["nothing", [], {}, []],
  ["a value after the flag", ["--port", "8080"], { port: ["8080"] }, []],
  ["a value after =", ["--port=8080"], { port: ["8080"] }, []],
  ["an empty value after =", ["--port="], { port: [""] }, []],
  ["a value holding =", ["--path=/a=b"], { path: ["/a=b"] }, []],
  ["a value starting with a dash (getopt: the next argument, whatever it is)", ["--port", "-1"], { port: ["-1"] }, []],
  ["a PEM block as the next argument", ["--public-key", PEM], { "public-key": [PEM] }, []],
  ["a PEM block after =", [`--public-key=${PEM}`], { "public-key": [PEM] }, []],
  ["a value that looks like a flag", ["--port", "--help"], { port: ["--help"] }, []],
  ["a value that is a lone dash", ["--path", "-"], { path: ["-"] }, []],
  ["repeated values, in order", ["--public-key", "B", "--port", "1", "--public-key", "A", "--public-key=C"], { "public-key": ["B", "A", "C"], port: ["1"] }, []],
  ["long switches", ["--help", "--version", "--quiet"], {}, ["help", "version", "quiet"]],
  ["short switches", ["-h", "-V"], {}, ["help", "version"]],
  ["a switch among values", ["--port", "1", "-h", "--path", "/x"], { port: ["1"], path: ["/x"] }, ["help"]],
];
for (const [what, argv, values, switches] of accepted) {
  test(`parseArgv() accepts ${what}`, () => {
    const result = parseArgv(argv, SPEC);
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(Object.fromEntries(result.argv.values), values);
    assert.deepEqual([...result.argv.switches], switches);
  });
}

// [what, argv, the whole message]
const refused: ReadonlyArray<readonly [string, readonly string[], string]> = [
  ["an unknown long option", ["--prot", "1"], "Unknown option '--prot'"],
  ["an unknown long option with =", ["--prot=1"], "Unknown option '--prot'"],
  ["an unknown short option", ["-p", "1"], "Unknown option '-p'"],
  ["short switches run together", ["-hV"], "Unknown option '-hV'"],
  ["a valued option at the end, with no value", ["--port"], "Option '--port' needs a value"],
  ["a valued option at the end after others", ["--port", "1", "--public-key"], "Option '--public-key' needs a value"],
  ["a value given to a switch", ["--help=yes"], "Option '--help' does not take a value"],
  ["a positional argument", ["serve"], "Unexpected argument 'serve': options only"],
  ["a positional argument after options", ["--port", "1", "extra"], "Unexpected argument 'extra': options only"],
  ["a lone dash", ["-"], "Unexpected argument '-': options only"],
  ["an unknown option after a switch", ["--help", "--bogus"], "Unknown option '--bogus'"],
  ["a bare --", ["--"], "Unknown option '--'"],
];
for (const [what, argv, message] of refused) {
  test(`parseArgv() refuses ${what}, in one line naming it`, () => {
    assert.deepEqual(parseArgv(argv, SPEC), { ok: false, message });
  });
}

test("parseArgv() does not change its input", () => {
  const argv = Object.freeze(["--port", "1", "--public-key", "K"]);
  assert.ok(parseArgv(argv, SPEC).ok);
  assert.deepEqual(argv, ["--port", "1", "--public-key", "K"]);
});
