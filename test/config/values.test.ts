// The value parsers of the option table: each returns { ok, value } or { ok: false, message }.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseDurationMs, parsePath, parsePort, parseSize, countFrom1To, parsePositiveDurationMs, parseDurationSeconds } from "../../src/config/values.ts";
import { RESERVED_PATHS } from "../../src/lib/routes.ts";

describe("parseDurationMs", () => {
  const durations: ReadonlyArray<readonly [string, number]> = [
    ["300", 300_000],
    ["300s", 300_000],
    ["1.5s", 1500],
    ["1500ms", 1500],
    ["5m", 300_000],
    ["0", 0],
    ["0.5", 500],
    [" 10s ", 10_000],
    ["86400s", 86_400_000],
    ["1440m", 86_400_000],
    ["5S", 5000],
    ["1h", 3_600_000],
    ["24h", 86_400_000],
    ["250MS", 250],
  ];
  for (const [text, ms] of durations) {
    test(`parseDurationMs() reads ${JSON.stringify(text)} as ${ms} ms`, () => {
      assert.deepEqual(parseDurationMs(text), { ok: true, value: ms });
    });
  }

  const refused: readonly string[] = ["", "s", "5d", "-1s", "+1s", "1e3", "1,5s", ".5s", "5.s", "5 s", "Infinity", "NaN", "0x10", "86401s", "86400001ms", "1441m", "9".repeat(400)];
  for (const text of refused) {
    test(`parseDurationMs() refuses ${JSON.stringify(text.length > 20 ? `${text.slice(0, 8)}…` : text)} with a message`, () => {
      const result = parseDurationMs(text);
      assert.equal(result.ok, false);
      assert.ok(!result.ok && result.message.length > 0);
    });
  }
});

describe("parseSize", () => {
  const sizes: ReadonlyArray<readonly [string, number]> = [
    ["1", 1],
    ["262144", 262144],
    ["256KiB", 262144],
    ["256kib", 262144],
    ["256k", 262144],
    ["256KB", 262144],
    ["1MiB", 1048576],
    ["1m", 1048576],
    ["1 MiB", 1048576],
    ["64MiB", 64 * 1048576],
    ["100b", 100],
    [" 2KiB ", 2048],
  ];
  for (const [text, bytes] of sizes) {
    test(`parseSize() reads ${JSON.stringify(text)} as ${bytes} bytes`, () => {
      assert.deepEqual(parseSize(text), { ok: true, value: bytes });
    });
  }

  const refused: readonly string[] = ["", "0", "0KiB", "65MiB", "67108865", "1GiB", "1.5MiB", "-1", "+1", "1e3", "KiB", "1 K i B", "0x10", "lots"];
  for (const text of refused) {
    test(`parseSize() refuses ${JSON.stringify(text)} with a message`, () => {
      const result = parseSize(text);
      assert.ok(!result.ok && result.message.length > 0);
    });
  }
});


describe("parsePositiveDurationMs and parseDurationSeconds", () => {
  test("parsePositiveDurationMs() refuses 0 and passes a bad duration's message on", () => {
    assert.deepEqual(parsePositiveDurationMs("0ms"), { ok: false, message: "must be more than 0" });
    assert.deepEqual(parsePositiveDurationMs("1ms"), { ok: true, value: 1 });
    assert.match((parsePositiveDurationMs("soon") as { message: string }).message, /not a duration/);
  });

  test("parseDurationSeconds() gives seconds", () => {
    assert.deepEqual(parseDurationSeconds("1500ms"), { ok: true, value: 1.5 });
    assert.equal(parseDurationSeconds("5d").ok, false);
  });
});

describe("parsePort", () => {
  for (const [text, port] of [["0", 0], ["8080", 8080], ["65535", 65535], ["00080", 80]] as const) {
    test(`parsePort() reads ${JSON.stringify(text)} as ${port}`, () => {
      assert.deepEqual(parsePort(text), { ok: true, value: port });
    });
  }
  for (const text of ["65536", "-1", "+1", " 80", "80 ", "", "1e3", "0x50", "123456"]) {
    test(`parsePort() refuses ${JSON.stringify(text)}`, () => {
      assert.deepEqual(parsePort(text), { ok: false, message: `${JSON.stringify(text)} is not a port number (0-65535)` });
    });
  }
});

describe("parsePath and the reserved paths", () => {
  test("RESERVED_PATHS are the health, readiness and metrics paths", () => {
    assert.deepEqual([...RESERVED_PATHS].sort(), ["/healthz", "/metrics", "/readyz"]);
  });

  for (const path of RESERVED_PATHS) {
    test(`parsePath() refuses ${path}, which the relay answers itself`, () => {
      const result = parsePath(path);
      assert.ok(!result.ok);
      assert.match(result.message, new RegExp(`^${path} is answered by the relay itself`));
    });
  }

  for (const path of ["/webhooks/telnyx", "/", "/healthz/x", "/readyz2", "/Metrics"]) {
    test(`parsePath() accepts ${path}`, () => {
      assert.deepEqual(parsePath(path), { ok: true, value: path });
    });
  }
});

describe("countFrom1To", () => {
  const upTo64 = countFrom1To(64);
  test("countFrom1To(64) accepts 1 to 64, digits only", () => {
    assert.deepEqual(upTo64("1"), { ok: true, value: 1 });
    assert.deepEqual(upTo64("64"), { ok: true, value: 64 });
    assert.deepEqual(upTo64("08"), { ok: true, value: 8 });
    for (const text of ["0", "65", "064", "-1", "two", "", "1.0"]) {
      assert.deepEqual(upTo64(text), { ok: false, message: `${JSON.stringify(text)} is not a number from 1 to 64` }, text);
    }
  });
});
