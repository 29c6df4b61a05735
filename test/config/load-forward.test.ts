import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { describe, test } from "node:test";

import { loadConfig, type ConfigResult, type Env, type ForwardConfig } from "../../src/config/load.ts";
import { expectConfig, expectErrors, expectOneError, flagMap, loadFlags, noFiles, type Flags } from "../support/config.ts";

const PORTAL_KEY = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");

// An explicit dedup window, so these tests do not depend on the default (tested on its own below).
const BASE_ENV: Env = { TELNYX_PUBLIC_KEY: PORTAL_KEY, TELNYX_RELAY_DEDUP_WINDOW: "3600s" };
const URL_TEXT = "https://hooks.example.com/telnyx";

function load(flags: Flags, env: Env = {}): ConfigResult {
  return loadFlags(flags, { ...BASE_ENV, ...env });
}

function expectForward(result: ConfigResult): ForwardConfig {
  const forward = expectConfig(result).forward;
  assert.ok(forward, "expected a forward config");
  return forward;
}


const withUrl = (flags: Flags = {}): Flags => ({ "forward-url": [URL_TEXT], ...flags });

const whsec = (bytes: Uint8Array): string => `whsec_${Buffer.from(bytes).toString("base64")}`;

describe("loadConfig() --forward-url", () => {
  test("without --forward-url there is no forward config (events go to stdout)", () => {
    assert.equal(expectConfig(load({})).forward, undefined);
  });

  for (const text of ["http://127.0.0.1:9000/in", "https://hooks.example.com/telnyx?team=a", "HTTPS://Hooks.Example.com"]) {
    test(`--forward-url accepts ${text}`, () => {
      const forward = expectForward(load({ "forward-url": [text] }));
      assert.ok(forward.url instanceof URL);
      assert.equal(forward.url.href, new URL(text).href);
      assert.deepEqual(forward.headers, []);
      assert.equal(forward.secret, undefined);
      assert.equal(forward.timeoutMs, 1500);
      assert.equal(expectConfig(load({ "forward-url": [text] })).spool, undefined, "no --spool-dir: synchronous forwarding");
    });
  }

  test("TELNYX_RELAY_FORWARD_URL sets the URL, and --forward-url wins over it", () => {
    assert.equal(expectForward(load({}, { TELNYX_RELAY_FORWARD_URL: "http://a.example/" })).url.href, "http://a.example/");
    assert.equal(expectForward(load({ "forward-url": ["http://b.example/"] }, { TELNYX_RELAY_FORWARD_URL: "http://a.example/" })).url.href, "http://b.example/");
  });

  for (const text of ["ftp://files.example.com/in", "file:///etc/passwd", "mailto:ops@example.com"]) {
    test(`--forward-url refuses the non-http(s) URL ${text}`, () => {
      expectOneError(load({ "forward-url": [text] }), /--forward-url/, /http or https/);
    });
  }

  for (const text of ["not a url", "example.com/hook", ""]) {
    test(`--forward-url refuses ${JSON.stringify(text)}, which is not an absolute URL`, () => {
      if (text === "") {
        // An empty flag value is a value (only an empty env var means unset).
        expectErrors(load({ "forward-url": [text] }));
        return;
      }
      expectOneError(load({ "forward-url": [text] }), /--forward-url/, /not a URL/);
    });
  }

  for (const text of ["https://user:hunter2@hooks.example.com/", "https://token@hooks.example.com/"]) {
    test(`--forward-url refuses ${text.replace(/\/\/.*@/, "//…@")} (credentials) without repeating them`, () => {
      const error = expectOneError(load({ "forward-url": [text] }), /--forward-url/, /credentials/);
      assert.doesNotMatch(error, /hunter2|token@/);
    });
  }

  test(
    "--forward-url refuses a non-http URL with credentials without repeating the password",
    () => {
      const error = expectOneError(load({ "forward-url": ["ftp://user:hunter2@files.example.com/"] }), /--forward-url/);
      assert.doesNotMatch(error, /hunter2/);
    },
  );

  test("--forward-url given twice is refused, naming it", () => {
    expectOneError(load({ "forward-url": [URL_TEXT, URL_TEXT] }), /--forward-url/, /2 times/);
  });
});

describe("loadConfig() --forward-header", () => {
  test("--forward-header 'Name: value' is repeatable and kept in order, names and values trimmed", () => {
    const forward = expectForward(load(withUrl({ "forward-header": ["Authorization: Bearer abc.def", "X-Team:  ops ", "X-Empty:"] })));
    assert.deepEqual(forward.headers, [
      ["Authorization", "Bearer abc.def"],
      ["X-Team", "ops"],
      ["X-Empty", ""],
    ]);
  });

  test("a header value may hold colons and commas", () => {
    assert.deepEqual(expectForward(load(withUrl({ "forward-header": ["X-List: a:b, c"] }))).headers, [["X-List", "a:b, c"]]);
  });

  test("TELNYX_RELAY_FORWARD_HEADER holds one header per line (CRLF too), blank lines skipped", () => {
    const forward = expectForward(load(withUrl(), { TELNYX_RELAY_FORWARD_HEADER: "Authorization: Bearer x,y\r\n\nX-Team: ops\n" }));
    assert.deepEqual(forward.headers, [
      ["Authorization", "Bearer x,y"],
      ["X-Team", "ops"],
    ]);
  });

  test("--forward-header wins over TELNYX_RELAY_FORWARD_HEADER (the lists are not merged)", () => {
    const forward = expectForward(load(withUrl({ "forward-header": ["X-From: flag"] }), { TELNYX_RELAY_FORWARD_HEADER: "X-From: env" }));
    assert.deepEqual(forward.headers, [["X-From", "flag"]]);
  });

  for (const text of ["no colon here", ": value", "Bad Name: v", "X-(A): v", "Naïve: v"]) {
    test(`--forward-header refuses the malformed ${JSON.stringify(text)}`, () => {
      expectOneError(load(withUrl({ "forward-header": [text] })), /--forward-header/, /expected 'Name: value'/);
    });
  }

  for (const text of ["X-A: a\r\nInjected: 1", "X-A: a\nInjected: 1", "X-A: a\rb", "X-A: a\0b"]) {
    test(`--forward-header refuses a value with a line break or NUL: ${JSON.stringify(text)}`, () => {
      expectOneError(load(withUrl({ "forward-header": [text] })), /--forward-header/, /X-A/);
    });
  }

  test(
    "--forward-header refuses a value node:http would refuse to send (control characters, characters past U+00FF)",
    () => {
      expectOneError(load(withUrl({ "forward-header": ["X-A: a\u0001b"] })), /--forward-header/);
      expectOneError(load(withUrl({ "forward-header": ["X-A: 5€"] })), /--forward-header/);
      expectOneError(load(withUrl({ "forward-header": ["X-A: a\u007fb"] })), /--forward-header/);
    },
  );

  test("a malformed header's error message does not repeat a value after the name", () => {
    const error = expectOneError(load(withUrl({ "forward-header": ["X-A: v\nsecret-token-123"] })), /--forward-header/);
    assert.doesNotMatch(error, /secret-token-123/);
  });

  test(
    "a header without a colon is refused without repeating what may be a credential",
    () => {
      const error = expectOneError(load(withUrl({ "forward-header": ["X-Api-Key=sk_live_abcdef"] })), /--forward-header/);
      assert.doesNotMatch(error, /sk_live/);
    },
  );

  for (const name of [
    "Content-Type",
    "content-length",
    "Transfer-Encoding",
    "Connection",
    "Host",
    "Idempotency-Key",
    "CE-ID",
    "webhook-id",
    "Webhook-Timestamp",
    "webhook-signature",
  ]) {
    test(`--forward-header refuses the reserved ${name}, in any case`, () => {
      expectOneError(load(withUrl({ "forward-header": [`${name}: x`] })), /--forward-header/, new RegExp(`${name}.*set by the relay`));
    });
  }

  test("every malformed header is reported, not just the first", () => {
    const errors = expectErrors(load(withUrl({ "forward-header": ["Host: a", "X-Ok: fine", "broken"] })));
    assert.equal(errors.length, 2, errors.join(" | "));
  });
});

describe("loadConfig() --forward-secret", () => {
  for (const length of [24, 32, 64]) {
    test(`--forward-secret accepts whsec_ and base64 of ${length} bytes, decoded`, () => {
      const bytes = randomBytes(length);
      const secret = expectForward(load(withUrl({ "forward-secret": [whsec(bytes)] }))).secret;
      assert.ok(secret);
      assert.deepEqual(Buffer.from(secret), bytes);
    });
  }

  test("TELNYX_RELAY_FORWARD_SECRET sets the secret", () => {
    const bytes = randomBytes(32);
    assert.deepEqual(Buffer.from(expectForward(load(withUrl(), { TELNYX_RELAY_FORWARD_SECRET: whsec(bytes) })).secret as Uint8Array), bytes);
  });

  const good = whsec(randomBytes(32));
  const refused: ReadonlyArray<readonly [string, string]> = [
    ["without the whsec_ prefix", good.slice(6)],
    ["with another prefix", `wsec_${good.slice(6)}`],
    ["with a prefix in capitals", `WHSEC_${good.slice(6)}`],
    ["of 23 bytes", whsec(randomBytes(23))],
    ["of 65 bytes", whsec(randomBytes(65))],
    ["in URL-safe base64", `whsec_${Buffer.from(randomBytes(33).map((b, i) => (i % 3 === 0 ? 0xfb : b))).toString("base64url")}`],
    ["with the padding missing", whsec(randomBytes(32)).replace(/=+$/, "")],
    ["with a space inside", `${good.slice(0, 20)} ${good.slice(20)}`],
    ["with nothing after the prefix", "whsec_"],
  ];
  for (const [what, text] of refused) {
    test(`--forward-secret refuses a secret ${what}, and the error does not contain it`, () => {
      const error = expectOneError(load(withUrl({ "forward-secret": [text] })), /--forward-secret/, /whsec_/);
      const body = text.replace(/^[a-zA-Z]*_/, "");
      // ("whsec_" alone is in the message as the expected format.)
      if (text !== "whsec_") assert.ok(!error.includes(text), "the error repeats the secret");
      if (body.length >= 8) assert.ok(!error.includes(body.slice(0, 8)), "the error repeats part of the secret");
    });
  }

  test("a secret given twice is refused without repeating it", () => {
    const error = expectOneError(load(withUrl({ "forward-secret": [good, good] })), /--forward-secret/, /2 times/);
    assert.ok(!error.includes(good.slice(6, 14)));
  });
});

describe("loadConfig() forwarding options that need --forward-url", () => {
  const cases: ReadonlyArray<readonly [string, string, string]> = [
    ["forward-header", "TELNYX_RELAY_FORWARD_HEADER", "X-A: b"],
    ["forward-secret", "TELNYX_RELAY_FORWARD_SECRET", whsec(randomBytes(32))],
    ["spool-dir", "TELNYX_RELAY_SPOOL_DIR", "/var/spool/telnyx-relay"],
  ];
  for (const [flag, env, value] of cases) {
    test(`--${flag} without --forward-url is an error naming both`, () => {
      const error = expectOneError(load({ [flag]: [value] }), new RegExp(`--${flag}`), /--forward-url/);
      assert.match(error, new RegExp(env));
    });

    test(`${env} without --forward-url is an error naming both`, () => {
      expectOneError(load({}, { [env]: value }), new RegExp(env), /--forward-url/);
    });

    test(`--${flag} with --forward-url is accepted`, () => {
      expectForward(load(withUrl({ [flag]: [value] })));
    });
  }

  test("all three without --forward-url give three errors", () => {
    assert.equal(expectErrors(load(Object.fromEntries(cases.map(([flag, , value]) => [flag, [value]])))).length, 3);
  });

  test(
    "a malformed --forward-url is reported once, without also claiming --forward-header needs --forward-url",
    () => {
      expectOneError(load({ "forward-url": ["ftp://x.example/"], "forward-header": ["X-A: b"] }), /--forward-url/, /http or https/);
    },
  );
});

describe("loadConfig() spooled forwarding", () => {
  test("--spool-dir gives a spool config with the defaults: 64 MiB, 8 in flight, 5 min backoff cap", () => {
    const config = expectConfig(load(withUrl({ "spool-dir": ["/var/spool/relay"] })));
    assert.deepEqual(config.spool, { dir: "/var/spool/relay", maxBytes: 64 * 1024 * 1024, concurrency: 8, retryMaxDelayMs: 300_000 });
  });

  test("TELNYX_RELAY_SPOOL_DIR gives a spool config", () => {
    assert.equal(expectConfig(load(withUrl(), { TELNYX_RELAY_SPOOL_DIR: "/spool" })).spool?.dir, "/spool");
  });

  test("--spool-dir must not be empty", () => {
    expectOneError(load(withUrl({ "spool-dir": ["  "] })), /--spool-dir/, /empty/);
  });

  for (const [text, bytes] of [
    ["1GiB", 2 ** 30],
    ["2gib", 2 ** 31],
    ["512MiB", 512 * 2 ** 20],
    ["1024GiB", 2 ** 40],
    ["1048576", 2 ** 20],
  ] as const) {
    test(`--spool-max-bytes ${text} is ${bytes} bytes`, () => {
      assert.equal(expectConfig(load(withUrl({ "spool-dir": ["/s"], "spool-max-bytes": [text] }))).spool?.maxBytes, bytes);
    });
  }

  for (const text of ["0", "1025GiB", "1TiB", "-1", "1.5GiB", "lots"]) {
    test(`--spool-max-bytes refuses ${text}`, () => {
      expectOneError(load(withUrl({ "spool-dir": ["/s"], "spool-max-bytes": [text] })), /--spool-max-bytes/);
    });
  }

  for (const [text, n] of [
    ["1", 1],
    ["64", 64],
    ["1024", 1024],
  ] as const) {
    test(`--delivery-concurrency accepts ${text}`, () => {
      assert.equal(expectConfig(load(withUrl({ "spool-dir": ["/s"], "delivery-concurrency": [text] }))).spool?.concurrency, n);
    });
  }

  for (const text of ["0", "1025", "-1", "2.5", "eight", ""]) {
    test(`--delivery-concurrency refuses ${JSON.stringify(text)}`, () => {
      expectOneError(load(withUrl({ "spool-dir": ["/s"], "delivery-concurrency": [text] })), /--delivery-concurrency/);
    });
  }

  test("--retry-max-delay sets the backoff cap; 0 is refused", () => {
    assert.equal(expectConfig(load(withUrl({ "spool-dir": ["/s"], "retry-max-delay": ["30s"] }))).spool?.retryMaxDelayMs, 30_000);
    expectOneError(load(withUrl({ "spool-dir": ["/s"], "retry-max-delay": ["0"] })), /--retry-max-delay/);
  });

  test("--forward-timeout sets the per-request deadline; 0 is refused", () => {
    assert.equal(expectForward(load(withUrl({ "forward-timeout": ["250ms"] }))).timeoutMs, 250);
    expectOneError(load(withUrl({ "forward-timeout": ["0"] })), /--forward-timeout/);
  });

  test(
    "--spool-max-bytes, --delivery-concurrency or --retry-max-delay without --spool-dir is an error, not silently ignored",
    () => {
      expectErrors(load(withUrl({ "delivery-concurrency": ["4"] })));
      expectErrors(load(withUrl({ "spool-max-bytes": ["1GiB"] })));
      expectErrors(load(withUrl({ "retry-max-delay": ["1m"] })));
    },
  );
});

describe("loadConfig() --dedup-window", () => {
  const loadBare = (flags: Flags, env: Env = {}): ConfigResult =>
    loadConfig(flagMap(flags), { TELNYX_PUBLIC_KEY: PORTAL_KEY, ...env }, noFiles);

  test("the dedup window is 1 hour by default", () => {
    assert.equal(expectConfig(loadBare({})).dedupWindowMs, 3_600_000);
  });

  test("--dedup-window 0 turns deduplication off", () => {
    assert.equal(expectConfig(loadBare({ "dedup-window": ["0"] })).dedupWindowMs, 0);
  });

  test("--dedup-window and TELNYX_RELAY_DEDUP_WINDOW take durations", () => {
    assert.equal(expectConfig(loadBare({ "dedup-window": ["10m"] })).dedupWindowMs, 600_000);
    assert.equal(expectConfig(loadBare({}, { TELNYX_RELAY_DEDUP_WINDOW: "90s" })).dedupWindowMs, 90_000);
  });

  test("--dedup-window refuses something that is not a duration", () => {
    expectOneError(loadBare({ "dedup-window": ["forever"] }), /--dedup-window/);
  });
});
