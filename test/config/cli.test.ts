// The command line: parseCli() (commands, flags, usage errors), the --help text, and the option table.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, test } from "node:test";
import { parseCli } from "../../src/config/cli.ts";
import { HELP_WIDTH, helpText, wrapWords } from "../../src/config/help.ts";
import type { Env } from "../../src/config/load.ts";
import { OPTION_GROUPS, OPTION_NAMES, OPTIONS, optionDefault } from "../../src/config/options.ts";
import { expectConfig, loadFlags } from "../support/config.ts";

const KEY_PEM = generateKeyPairSync("ed25519").publicKey.export({ format: "pem", type: "spki" }) as string;
const WITH_KEY: Env = { TELNYX_PUBLIC_KEY: generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64") };

describe("parseCli", () => {
  test("parseCli() returns the run command with each flag's raw values", () => {
    const command = parseCli(["--port", "0", "--public-key", "KEY", "--log-level=debug"]);
    assert.equal(command.command, "run");
    if (command.command !== "run") return;
    assert.deepEqual([...command.flags], [
      ["public-key", ["KEY"]],
      ["port", ["0"]],
      ["log-level", ["debug"]],
    ]);
  });

  test("parseCli() with no arguments returns the run command with no flags", () => {
    assert.deepEqual(parseCli([]), { command: "run", flags: new Map() });
  });

  test("parseCli() keeps repeated --public-key values in order", () => {
    const command = parseCli(["--public-key", "B", "--port", "1", "--public-key", "A", "--public-key=C"]);
    assert.ok(command.command === "run");
    assert.deepEqual(command.flags.get("public-key"), ["B", "A", "C"]);
  });

  test("parseCli() carries a PEM key given with = (a value starting with a dash)", () => {
    const command = parseCli([`--public-key=${KEY_PEM}`]);
    assert.ok(command.command === "run");
    assert.deepEqual(command.flags.get("public-key"), [KEY_PEM]);
  });

  test("parseCli() takes the argument after an option as its value, whatever it starts with: a PEM key", () => {
    const command = parseCli(["--public-key", KEY_PEM, "--port", "1"]);
    assert.ok(command.command === "run");
    assert.deepEqual(command.flags.get("public-key"), [KEY_PEM]);
    assert.deepEqual(command.flags.get("port"), ["1"]);
  });

  test("parseCli() takes --port -1 as a value (for the port check), not as an unknown option", () => {
    const command = parseCli(["--port", "-1"]);
    assert.ok(command.command === "run");
    assert.deepEqual(command.flags.get("port"), ["-1"]);
  });

  test("parseCli() gives the flags in table order, whatever the command-line order", () => {
    const command = parseCli(["--log-level", "debug", "--workers", "2", "--host", "::1"]);
    assert.ok(command.command === "run");
    assert.deepEqual([...command.flags.keys()], OPTION_NAMES.filter((name) => command.flags.has(name)));
  });

  for (const [argv, command] of [
    [["help"], "help"],
    [["--help"], "help"],
    [["-h"], "help"],
    [["--port", "1", "--help"], "help"],
    [["--version"], "version"],
    [["-V"], "version"],
  ] as const) {
    test(`parseCli() returns ${command} for ${argv.join(" ")}`, () => {
      assert.deepEqual(parseCli(argv), { command });
    });
  }

  const usageErrors: ReadonlyArray<readonly [string, readonly string[], string]> = [
    ["an unknown flag", ["--prot", "1"], "--prot"],
    ["an unknown short flag", ["-p", "1"], "-p"],
    ["a flag without its value", ["--port"], "--port"],
    ["a key flag at the end without its value", ["--port", "1", "--public-key"], "--public-key"],
    ["help with arguments", ["help", "--port", "1"], "help takes no arguments"],
    ["help after a flag", ["--port", "1", "help"], "help"],
    ["a positional argument", ["serve"], "serve"],
    ["a positional argument after flags", ["--port", "1", "extra"], "extra"],
    ["a value for --help", ["--help=yes"], "help"],
    ["an unknown flag beside --help", ["--help", "--bogus"], "--bogus"],
  ];
  for (const [name, argv, mentioned] of usageErrors) {
    test(`parseCli() returns a one-line usage-error naming ${name}`, () => {
      const command = parseCli(argv);
      assert.equal(command.command, "usage-error");
      if (command.command !== "usage-error") return;
      assert.ok(command.message.includes(mentioned), command.message);
      assert.ok(!command.message.includes("\n"));
    });
  }
});

describe("helpText", () => {
  const text = helpText("9.8.7");

  test("helpText() mentions every flag with its value name, its environment variable and its default", () => {
    for (const name of OPTION_NAMES) {
      const spec = OPTIONS[name];
      assert.ok(text.includes(`--${name} ${spec.value}`), name);
      assert.ok(text.includes(`env: ${spec.env}`), spec.env);
      if (spec.default !== undefined) assert.ok(text.includes(`default: ${spec.default}`), `${name} default`);
    }
    for (const flag of ["-h, --help", "-V, --version", "telnyx-relay help", "telnyx-relay healthcheck"]) assert.ok(text.includes(flag), flag);
  });

  test("helpText() keeps every line within 80 columns", () => {
    assert.equal(HELP_WIDTH, 80);
    for (const line of text.split("\n")) assert.ok(line.length <= 80, `${line.length}: ${line}`);
  });

  test("helpText() lists the options under their group's heading, each group's options together", () => {
    const lines = text.split("\n");
    for (const [group, heading] of Object.entries(OPTION_GROUPS)) {
      const start = lines.indexOf(`${heading}:`);
      assert.ok(start !== -1, heading);
      const end = lines.indexOf("", start);
      const listed = lines.slice(start, end).flatMap((line) => /^ {2}--([a-z-]+) /.exec(line)?.[1] ?? []);
      assert.deepEqual(listed, OPTION_NAMES.filter((name) => OPTIONS[name].group === group), heading);
    }
  });

  test("helpText() ends with examples that use real options", () => {
    const examples = text.slice(text.indexOf("\nExamples:\n"));
    assert.ok(examples.length > 20, "an Examples section");
    const flags = [...examples.matchAll(/--([a-z-]+)/g)].map((match) => match[1]);
    assert.ok(flags.length >= 3);
    for (const flag of flags) assert.ok((OPTION_NAMES as readonly string[]).includes(flag as string), flag);
  });

  test("helpText() starts with the version given and ends with a newline", () => {
    assert.ok(text.startsWith("telnyx-relay 9.8.7"));
    assert.ok(text.endsWith("\n"));
  });

  test("wrapWords() wraps on spaces within the width, a longer word alone on its line", () => {
    assert.deepEqual(wrapWords("a bb ccc", 4), ["a bb", "ccc"]);
    assert.deepEqual(wrapWords("  a   b  ", 10), ["a b"]);
    assert.deepEqual(wrapWords("abcdef gh", 4), ["abcdef", "gh"]);
    assert.deepEqual(wrapWords("", 4), []);
  });
});

describe("the option table", () => {
  test("OPTIONS has unique environment variables, all in the relay's namespaces, and lower-case flag names", () => {
    assert.equal(new Set(OPTION_NAMES.map((name) => OPTIONS[name].env)).size, OPTION_NAMES.length);
    for (const name of OPTION_NAMES) {
      assert.match(name, /^[a-z]+(?:-[a-z]+)*$/);
      assert.match(OPTIONS[name].env, /^TELNYX_(?:RELAY_|PUBLIC_KEY)[A-Z_]*$/);
      assert.ok(OPTIONS[name].help.length > 0 && OPTIONS[name].doc.length > 0, name);
      assert.ok(OPTIONS[name].group in OPTION_GROUPS, name);
    }
  });

  test("OPTIONS lists its options group by group, in the order of OPTION_GROUPS (so --help, the README and deno.json agree)", () => {
    const order = Object.keys(OPTION_GROUPS);
    const groups = OPTION_NAMES.map((name) => order.indexOf(OPTIONS[name].group));
    assert.deepEqual(groups, [...groups].sort((a, b) => a - b));
  });

  test("every flag in OPTIONS is accepted by parseCli(), and every default parses", () => {
    for (const name of OPTION_NAMES) {
      const command = parseCli([`--${name}`, "x"]);
      assert.equal(command.command, "run", name);
      if (OPTIONS[name].default !== undefined) assert.doesNotThrow(() => optionDefault(name), name);
    }
  });

  test("optionDefault() gives the parsed default, and throws for an option without one", () => {
    assert.equal(optionDefault("port"), 8080);
    assert.equal(optionDefault("tolerance"), 300);
    assert.equal(optionDefault("body-limit"), 262144);
    assert.equal(optionDefault("dedup-window"), 3_600_000);
    assert.throws(() => optionDefault("host"), RangeError);
  });

  test("a misspelt option name does not type-check (tsc fails on an unused @ts-expect-error)", () => {
    // @ts-expect-error -- "publik-key" is not an option name
    assert.equal(OPTIONS["publik-key"], undefined);
    // @ts-expect-error -- "prot" is not an option name
    assert.throws(() => optionDefault("prot"), TypeError);
    // @ts-expect-error -- nor is it one for the loader
    expectConfig(loadFlags({ prot: ["1"] }, WITH_KEY));
  });
});
