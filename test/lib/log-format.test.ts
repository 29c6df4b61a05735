import assert from "node:assert/strict";
import { test } from "node:test";
import { createLogger, formatLogLine } from "../../src/lib/log.ts";

const NOW = Date.parse("2026-11-27T08:00:00.000Z");

test("formatLogLine() writes time level message key=value, quoting what would be ambiguous", () => {
  const line = formatLogLine("2026-11-27T08:00:00.000Z", "warn", "downstream failing", {
    reason: "the downstream answered 503",
    id: "abc",
    port: 8080,
    ok: true,
    empty: "",
    eq: "a=b",
    nested: { a: 1 },
    gone: undefined,
  });
  assert.equal(line, '2026-11-27T08:00:00.000Z warn downstream failing reason="the downstream answered 503" id=abc port=8080 ok=true empty="" eq="a=b" nested={"a":1}\n');
});

test("a text line never spans two lines, whatever the message or a value holds", () => {
  const line = formatLogLine("t", "error", "two\nlines", { value: "x\ny" });
  assert.equal(line.split("\n").length, 2);
  assert.ok(line.endsWith("\n"));
});

test("createLogger() writes JSON by default and text when asked, with the context fields", () => {
  const json: string[] = [];
  const text: string[] = [];
  createLogger((line) => json.push(line), "info", () => NOW, { worker: 2 }).info("listening", { port: 1 });
  createLogger((line) => text.push(line), "info", () => NOW, { worker: 2 }, "text").info("listening", { port: 1 });
  assert.deepEqual(JSON.parse(json[0] as string), { time: "2026-11-27T08:00:00.000Z", level: "info", message: "listening", worker: 2, port: 1 });
  assert.deepEqual(text, ["2026-11-27T08:00:00.000Z info listening worker=2 port=1\n"]);
});
