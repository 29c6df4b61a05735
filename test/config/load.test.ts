import assert from "node:assert/strict";
import { generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { describe, test } from "node:test";

import type { Config, Env } from "../../src/config/load.ts";
import { OPTION_NAMES, OPTIONS, type OptionName } from "../../src/config/options.ts";
import { expectConfig, expectErrors, expectOneError, loadFlags } from "../support/config.ts";

interface TestKey {
  readonly privateKey: KeyObject;
  readonly portalKey: string;
  readonly pem: string;
}

function makeKey(): TestKey {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return {
    privateKey,
    portalKey: publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64"),
    pem: publicKey.export({ format: "pem", type: "spki" }) as string,
  };
}

const KEY = makeKey();
const KEY_2 = makeKey();
const MESSAGE = Buffer.from("1700000000|a=b");

/** Which of `candidates` each configured key is, by checking a signature from each candidate. */
function whichKeys(keys: readonly KeyObject[], candidates: readonly TestKey[]): number[] {
  return keys.map((key) => candidates.findIndex((candidate) => verify(null, MESSAGE, key, sign(null, MESSAGE, candidate.privateKey))));
}

const load = loadFlags;

const WITH_KEY: Env = { TELNYX_PUBLIC_KEY: KEY.portalKey };

describe("loadConfig() defaults", () => {
  test("loadConfig() fills every option but the key from its default", () => {
    const config = expectConfig(load({}, WITH_KEY));
    assert.equal(config.keys.length, 1);
    assert.equal(config.host, undefined);
    assert.equal(config.port, 8080);
    assert.equal(config.path, "/webhooks/telnyx");
    assert.equal(config.toleranceSeconds, 300);
    assert.equal(config.bodyLimit, 262144);
    assert.equal(config.deadLetterFile, "telnyx-relay-dead-letter.jsonl");
    assert.equal(config.sinkTimeoutMs, 1500);
    assert.equal(config.requestTimeoutMs, 30000);
    assert.equal(config.shutdownTimeoutMs, 10000);
    assert.equal(config.logLevel, "info");
  });

  test("loadConfig() treats an empty environment variable as unset", () => {
    const config = expectConfig(load({}, { ...WITH_KEY, TELNYX_RELAY_PORT: "", TELNYX_RELAY_LOG_LEVEL: "" }));
    assert.equal(config.port, 8080);
    assert.equal(config.logLevel, "info");
  });

  test("loadConfig() ignores environment variables that are not telnyx-relay's", () => {
    expectConfig(load({}, { ...WITH_KEY, PATH: "/usr/bin", PORT: "not a port", TELNYX_API_KEY: "KEY123", HOME: "/root" }));
  });
});

describe("loadConfig() options from flags and environment variables", () => {
  // [flag, env, value, the Config field, expected, another valid value for the losing source]
  const options: ReadonlyArray<readonly [OptionName, string, string, keyof Config, unknown, string]> = [
    ["host", "TELNYX_RELAY_HOST", "127.0.0.1", "host", "127.0.0.1", "::1"],
    ["port", "TELNYX_RELAY_PORT", "0", "port", 0, "9000"],
    ["path", "TELNYX_RELAY_PATH", "/hooks/refer", "path", "/hooks/refer", "/other"],
    ["tolerance", "TELNYX_RELAY_TOLERANCE", "2m", "toleranceSeconds", 120, "10s"],
    ["body-limit", "TELNYX_RELAY_BODY_LIMIT", "1MiB", "bodyLimit", 1048576, "1024"],
    ["dead-letter-file", "TELNYX_RELAY_DEAD_LETTER_FILE", "/var/spool/dead.jsonl", "deadLetterFile", "/var/spool/dead.jsonl", "/tmp/x"],
    ["dead-letter-max-bytes", "TELNYX_RELAY_DEAD_LETTER_MAX_BYTES", "1MiB", "deadLetterMaxBytes", 1048576, "2048"],
    ["sink-timeout", "TELNYX_RELAY_SINK_TIMEOUT", "250ms", "sinkTimeoutMs", 250, "1s"],
    ["request-timeout", "TELNYX_RELAY_REQUEST_TIMEOUT", "1m", "requestTimeoutMs", 60000, "40s"],
    ["shutdown-timeout", "TELNYX_RELAY_SHUTDOWN_TIMEOUT", "6", "shutdownTimeoutMs", 6000, "8s"],
    ["log-level", "TELNYX_RELAY_LOG_LEVEL", "debug", "logLevel", "debug", "error"],
    ["log-format", "TELNYX_RELAY_LOG_FORMAT", "text", "logFormat", "text", "json"],
    ["dedup-window", "TELNYX_RELAY_DEDUP_WINDOW", "10m", "dedupWindowMs", 600000, "0"],
    ["workers", "TELNYX_RELAY_WORKERS", "4", "workers", 4, "2"],
  ];
  // The forwarding options build Config.forward and are covered in config-forward.test.ts.
  const FORWARD_FLAGS: readonly OptionName[] = ["forward-url", "forward-header", "forward-secret", "forward-timeout", "spool-dir", "spool-max-bytes", "delivery-concurrency", "retry-max-delay"];

  // The NATS options build Config.nats and are covered in load-nats.test.ts.
  const NATS_FLAGS = OPTION_NAMES.filter((name) => name.startsWith("nats-"));

  test("the table below covers every option in OPTIONS but the two key options", () => {
    // --events is repeatable: its own tests are below; --texml-reply names a file to read: covered in test/server/texml.test.ts.
    const covered = new Set<OptionName>(["public-key", "public-key-file", "events", "texml-reply", ...FORWARD_FLAGS, ...NATS_FLAGS, ...options.map(([flag]) => flag)]);
    assert.deepEqual(OPTION_NAMES.filter((flag) => !covered.has(flag)), []);
    for (const [flag, env] of options) {
      assert.equal(OPTIONS[flag].env, env, flag);
    }
  });

  for (const [flag, env, value, field, expected, other] of options) {
    test(`loadConfig() reads --${flag}`, () => {
      assert.equal(expectConfig(load({ [flag]: [value] }, WITH_KEY))[field], expected);
    });

    test(`loadConfig() reads ${env}`, () => {
      assert.equal(expectConfig(load({}, { ...WITH_KEY, [env]: value }))[field], expected);
    });

    test(`loadConfig() lets --${flag} win over ${env}`, () => {
      assert.equal(expectConfig(load({ [flag]: [value] }, { ...WITH_KEY, [env]: other }))[field], expected);
      // The twin: without the flag, the environment variable is used.
      assert.notEqual(expectConfig(load({}, { ...WITH_KEY, [env]: other }))[field], expected);
    });

    test(`loadConfig() refuses --${flag} given twice, naming it`, () => {
      expectOneError(load({ [flag]: [value, value] }, WITH_KEY), new RegExp(`--${flag}`), /2 times/);
    });
  }

  test("loadConfig() trims the host", () => {
    assert.equal(expectConfig(load({ host: [" 127.0.0.1 "] }, WITH_KEY)).host, "127.0.0.1");
  });

  test("loadConfig() reads --events (repeatable) and TELNYX_RELAY_EVENTS (comma-separated); none by default; the flag wins", () => {
    assert.deepEqual(expectConfig(load({}, WITH_KEY)).events, []);
    assert.deepEqual(expectConfig(load({ events: ["com.telnyx.call.*", " com.telnyx.texml.*"] }, WITH_KEY)).events, ["com.telnyx.call.*", "com.telnyx.texml.*"]);
    assert.deepEqual(expectConfig(load({}, { ...WITH_KEY, TELNYX_RELAY_EVENTS: "com.telnyx.call.*,com.telnyx.fax.*" })).events, ["com.telnyx.call.*", "com.telnyx.fax.*"]);
    assert.deepEqual(expectConfig(load({ events: ["com.telnyx.webhook"] }, { ...WITH_KEY, TELNYX_RELAY_EVENTS: "com.telnyx.call.*" })).events, ["com.telnyx.webhook"]);
    expectOneError(load({ events: ["call hangup"] }, WITH_KEY), /--events/, /CloudEvents type/);
  });

  test("loadConfig() accepts a tolerance of 0 (only the current second)", () => {
    assert.equal(expectConfig(load({ tolerance: ["0"] }, WITH_KEY)).toleranceSeconds, 0);
  });
});

describe("loadConfig() public keys", () => {
  test("loadConfig() reads one key from TELNYX_PUBLIC_KEY", () => {
    assert.deepEqual(whichKeys(expectConfig(load({}, WITH_KEY)).keys, [KEY, KEY_2]), [0]);
  });

  test("loadConfig() reads several comma-separated keys from TELNYX_PUBLIC_KEY, in order", () => {
    for (const text of [`${KEY.portalKey},${KEY_2.portalKey}`, `${KEY.portalKey}, ${KEY_2.portalKey}`, `${KEY.portalKey},${KEY_2.portalKey},`]) {
      assert.deepEqual(whichKeys(expectConfig(load({}, { TELNYX_PUBLIC_KEY: text })).keys, [KEY, KEY_2]), [0, 1], text);
    }
    assert.deepEqual(whichKeys(expectConfig(load({}, { TELNYX_PUBLIC_KEY: `${KEY_2.portalKey},${KEY.portalKey}` })).keys, [KEY, KEY_2]), [1, 0]);
  });

  test("loadConfig() reads a PEM key from TELNYX_PUBLIC_KEY", () => {
    assert.deepEqual(whichKeys(expectConfig(load({}, { TELNYX_PUBLIC_KEY: KEY.pem })).keys, [KEY, KEY_2]), [0]);
  });

  test("loadConfig() keeps repeated --public-key flags in order", () => {
    const config = expectConfig(load({ "public-key": [KEY_2.portalKey, KEY.portalKey] }));
    assert.deepEqual(whichKeys(config.keys, [KEY, KEY_2]), [1, 0]);
  });

  test("loadConfig() lets --public-key win over TELNYX_PUBLIC_KEY, even a broken one", () => {
    const config = expectConfig(load({ "public-key": [KEY_2.portalKey] }, { TELNYX_PUBLIC_KEY: "broken" }));
    assert.deepEqual(whichKeys(config.keys, [KEY, KEY_2]), [1]);
  });

  test("loadConfig() reads --public-key-file through the injected readFile, trimming the path", () => {
    const reads: string[] = [];
    const files: Readonly<Record<string, string>> = { "/run/secrets/telnyx": `${KEY.portalKey}\n`, "/etc/telnyx.pem": KEY_2.pem };
    const readFile = (path: string): string => {
      reads.push(path);
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error(`ENOENT: no such file, open '${path}'`), { code: "ENOENT" });
      return text;
    };
    const config = expectConfig(load({ "public-key-file": [" /run/secrets/telnyx ", "/etc/telnyx.pem"] }, {}, readFile));
    assert.deepEqual(reads, ["/run/secrets/telnyx", "/etc/telnyx.pem"]);
    assert.deepEqual(whichKeys(config.keys, [KEY, KEY_2]), [0, 1]);
  });

  test("loadConfig() reads comma-separated paths from TELNYX_PUBLIC_KEY_FILE", () => {
    const files: Readonly<Record<string, string>> = { "/a": KEY.portalKey, "/b": KEY_2.portalKey };
    const config = expectConfig(load({}, { TELNYX_PUBLIC_KEY_FILE: "/a,/b" }, (path) => files[path] ?? ""));
    assert.deepEqual(whichKeys(config.keys, [KEY, KEY_2]), [0, 1]);
  });

  test("loadConfig() uses keys from both --public-key and --public-key-file", () => {
    const config = expectConfig(load({ "public-key": [KEY.portalKey], "public-key-file": ["/k"] }, {}, () => KEY_2.portalKey));
    assert.deepEqual(whichKeys(config.keys, [KEY, KEY_2]), [0, 1]);
  });

  test("loadConfig() reports a key file that cannot be read, naming the path and the error code", () => {
    const readFile = (path: string): string => {
      throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: "EACCES" });
    };
    expectOneError(load({ "public-key-file": ["/run/secrets/telnyx"] }, {}, readFile), /--public-key-file/, /\/run\/secrets\/telnyx/, /EACCES/);
  });

  test("loadConfig() reports a key file that cannot be read with an error without a code, naming the path", () => {
    const readFile = (): string => {
      throw new Error("disk on fire");
    };
    expectOneError(load({}, { TELNYX_PUBLIC_KEY_FILE: "/k" }, readFile), /TELNYX_PUBLIC_KEY_FILE/, /\/k/, /disk on fire/);
  });

  test("loadConfig() reports a key file holding a bad key, naming the path but not the file's text", () => {
    const bad = KEY.portalKey.slice(0, -1);
    const error = expectOneError(load({ "public-key-file": ["/k"] }, {}, () => bad), /--public-key-file/, /\/k/);
    assert.ok(!error.includes(bad), error);
  });

  test("loadConfig() requires a key, saying how to give one (TELNYX_PUBLIC_KEY)", () => {
    expectOneError(load({}, {}), /TELNYX_PUBLIC_KEY/, /--public-key/);
  });

  test("loadConfig() refuses an empty --public-key", () => {
    expectOneError(load({ "public-key": [""] }), /--public-key/);
  });

  for (const [name, env] of [
    ["TELNYX_PUBLIC_KEY holding only commas", { TELNYX_PUBLIC_KEY: "," }],
    ["TELNYX_PUBLIC_KEY holding only commas and spaces", { TELNYX_PUBLIC_KEY: " , " }],
    ["TELNYX_PUBLIC_KEY_FILE holding only commas", { TELNYX_PUBLIC_KEY_FILE: "," }],
  ] as const) {
    test(`loadConfig() refuses ${name}: it gives no key at all`, () => {
      const errors = expectErrors(load({}, env, () => KEY.portalKey));
      assert.ok(errors.some((error) => /public key is required/.test(error)), errors.join("\n"));
    });
  }

  const badKeys: ReadonlyArray<readonly [string, string]> = [
    ["a key one character short", KEY.portalKey.slice(0, -1)],
    ["a URL-safe key", `${KEY.portalKey.slice(0, -2)}-=`],
    ["a key with a character changed", `x${KEY.portalKey.slice(1, 20)}!${KEY.portalKey.slice(21)}`],
    ["a PEM private key", KEY.privateKey.export({ format: "pem", type: "pkcs8" }) as string],
  ];
  for (const [name, bad] of badKeys) {
    test(`loadConfig() reports ${name} without repeating the key text`, () => {
      for (const result of [load({}, { TELNYX_PUBLIC_KEY: bad }), load({ "public-key": [bad] })]) {
        const error = expectOneError(result, /TELNYX_PUBLIC_KEY|--public-key/);
        for (let i = 0; i + 12 <= bad.trim().length; i++) {
          const probe = bad.trim().slice(i, i + 12);
          if (probe.includes("-----") || probe.includes("KEY")) continue; // PEM armour is not secret
          assert.ok(!error.includes(probe), `${error} repeats ${probe}`);
        }
      }
    });
  }

  test("loadConfig() says which of several keys is bad", () => {
    expectOneError(load({ "public-key": [KEY.portalKey, "bad"] }), /--public-key #2/);
    expectOneError(load({}, { TELNYX_PUBLIC_KEY: `bad,${KEY.portalKey}` }), /TELNYX_PUBLIC_KEY #1/);
  });
});

describe("loadConfig() errors", () => {
  test("loadConfig() refuses an unknown TELNYX_RELAY_* variable, naming it", () => {
    expectOneError(load({}, { ...WITH_KEY, TELNYX_RELAY_PROT: "9000" }), /TELNYX_RELAY_PROT/);
  });

  test("loadConfig() refuses a misspelt key variable such as TELNYX_PUBLIC_KEYS, so a rotation key is not dropped silently", () => {
    expectOneError(load({}, { ...WITH_KEY, TELNYX_PUBLIC_KEYS: "x" }), /TELNYX_PUBLIC_KEYS is not a telnyx-relay setting/);
  });

  test("loadConfig() accepts every environment variable in OPTIONS (none is refused as unknown)", () => {
    for (const name of OPTION_NAMES) {
      const { env } = OPTIONS[name];
      const result = load({}, { ...WITH_KEY, [env]: "x" }, () => KEY.portalKey);
      const errors = result.ok ? [] : result.errors;
      assert.ok(!errors.some((error) => error.includes("is not a telnyx-relay setting")), `${env}: ${errors.join(" | ")}`);
    }
  });

  const bad: ReadonlyArray<readonly [OptionName, string, RegExp]> = [
    ["port", "65536", /port/],
    ["workers", "0", /from 1 to 64/],
    ["workers", "65", /from 1 to 64/],
    ["workers", "two", /from 1 to 64/],
    ["port", "-1", /port number/],
    ["port", "http", /port/],
    ["port", "80.5", /port/],
    ["port", " 80", /port/],
    ["port", "", /port/],
    ["path", "webhooks", /must start with \//],
    ["path", "/a?b", /\?/],
    ["path", "/a#b", /#/],
    ["path", "/a b", /spaces/],
    ["path", "/healthz", /health/],
    ["path", "/readyz", /answered by the relay itself/],
    ["path", "/metrics", /answered by the relay itself/],
    ["tolerance", "5d", /duration/],
    ["tolerance", "-1s", /duration/],
    ["tolerance", "2d", /duration/],
    ["tolerance", "25h", /more than a day/],
    ["tolerance", "5d", /duration/],
    ["tolerance", "1441m", /more than a day/],
    ["sink-timeout", "0", /more than 0/],
    ["request-timeout", "0ms", /more than 0/],
    ["shutdown-timeout", "soon", /duration/],
    ["body-limit", "0", /between 1 byte and 64MiB/],
    ["body-limit", "65MiB", /between 1 byte and 64MiB/],
    ["body-limit", "1.5MiB", /size/],
    ["body-limit", "lots", /size/],
    ["log-level", "verbose", /debug, info, warn, error/],
    ["host", "   ", /empty/],
    ["dead-letter-file", "", /empty/],
  ];
  for (const [flag, value, pattern] of bad) {
    const { env } = OPTIONS[flag];
    test(`loadConfig() refuses --${flag} ${JSON.stringify(value)}, naming the option`, () => {
      expectOneError(load({ [flag]: [value] }, WITH_KEY), new RegExp(`^--${flag}\\b`), pattern);
    });
    if (value.trim() !== "" || flag === "host") {
      test(`loadConfig() refuses ${env}=${JSON.stringify(value)}, naming the variable`, () => {
        expectOneError(load({}, { ...WITH_KEY, [env]: value }), new RegExp(`^${env}\\b`), pattern);
      });
    }
  }

  test("loadConfig() reports several problems at once", () => {
    const errors = expectErrors(load({ port: ["99999"], "log-level": ["loud"] }, { TELNYX_RELAY_PROT: "1", TELNYX_RELAY_BODY_LIMIT: "huge" }));
    for (const name of ["TELNYX_RELAY_PROT", "--port", "--log-level", "TELNYX_RELAY_BODY_LIMIT", "TELNYX_PUBLIC_KEY"]) {
      assert.ok(errors.some((error) => error.includes(name)), `${name} not in ${errors.join(" | ")}`);
    }
    assert.equal(errors.length, 5, errors.join(" | "));
  });
});

describe("loadConfig() and the option table's defaults", () => {
  test("every default in the table is accepted by loadConfig()", () => {
    // The spool's options need --spool-dir, which needs --forward-url or --nats-url (one of them:
    // each transport's defaults are tried with its own URL).
    const defaults = (skip: string) =>
      Object.fromEntries(OPTION_NAMES.flatMap((name) => (OPTIONS[name].default === undefined || name.startsWith(skip) ? [] : [[name, [OPTIONS[name].default]]])));
    expectConfig(load({ ...defaults("nats-"), "forward-url": ["http://127.0.0.1:9/events"], "spool-dir": ["/tmp/spool"] }, WITH_KEY));
    expectConfig(load({ ...defaults("forward-"), "nats-url": ["nats://127.0.0.1:4222"], "spool-dir": ["/tmp/spool"] }, WITH_KEY));
  });

  test("the size limits must agree: with --spool-dir, a --body-limit larger than a spool record is one error naming both", () => {
    const spooled = { "forward-url": ["http://127.0.0.1:9/events"], "spool-dir": ["/tmp/spool"] };
    expectOneError(load({ ...spooled, "body-limit": ["20MiB"] }, WITH_KEY), /^--body-limit \(20971520 bytes\) is larger than a spool record may be \(16777216 bytes, --spool-dir\): lower --body-limit$/);
    expectConfig(load({ ...spooled, "body-limit": ["16MiB"] }, WITH_KEY));
    expectConfig(load({ "body-limit": ["64MiB"] }, WITH_KEY)); // no spool: nothing to disagree with
  });

  test("--sink-timeout is checked against --request-timeout in every mode: it bounds the spool's disk and the dead-letter file's too", () => {
    const spooled = { "forward-url": ["http://127.0.0.1:9/events"], "spool-dir": ["/tmp/spool"] };
    expectOneError(load({ ...spooled, "sink-timeout": ["5s"], "request-timeout": ["2s"] }, WITH_KEY), /^--sink-timeout \(5000 ms\) must be shorter than --request-timeout \(2000 ms\)$/);
  });

});
