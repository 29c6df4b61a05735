import assert from "node:assert/strict";
import { test } from "node:test";

import { quoteReceived } from "../../src/lib/quote-received.ts";

test("quoteReceived() quotes a short value as a JSON string", () => {
  assert.equal(quoteReceived('say "hi"'), '"say \\"hi\\""');
});

test("quoteReceived() escapes line breaks, so a value cannot start a fake log line", () => {
  assert.equal(quoteReceived("busy\nFAKE\r"), '"busy\\nFAKE\\r"');
});

test("quoteReceived() cuts a value over 64 characters and marks the cut", () => {
  assert.equal(quoteReceived("x".repeat(64)), `"${"x".repeat(64)}"`);
  assert.equal(quoteReceived("x".repeat(65)), `"${"x".repeat(64)}…"`);
});
