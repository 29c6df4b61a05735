import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { readRequestHeaders } from "../../src/server/request-headers.ts";

describe("readRequestHeaders()", () => {
  test("finds the five headers in any letter case and ignores the others", () => {
    const headers = readRequestHeaders([
      "Host", "127.0.0.1",
      "CONTENT-TYPE", "application/x-www-form-urlencoded",
      "Content-Length", "42",
      "Expect", "100-Continue",
      "Telnyx-Timestamp", "1700000000",
      "telnyx-signature-ED25519", "c2ln",
      "X-Other", "1",
    ]);
    assert.deepEqual(headers, {
      contentType: "application/x-www-form-urlencoded",
      contentLength: "42",
      expectsContinue: true,
      timestamp: "1700000000",
      signature: "c2ln",
    });
  });

  test("keeps every value of a repeated Telnyx header, so the verifier can refuse it", () => {
    const headers = readRequestHeaders(["telnyx-timestamp", "1", "telnyx-timestamp", "2", "telnyx-timestamp", "3", "telnyx-signature-ed25519", "a", "telnyx-signature-ed25519", "b"]);
    assert.deepEqual(headers.timestamp, ["1", "2", "3"]);
    assert.deepEqual(headers.signature, ["a", "b"]);
  });

  test("keeps the first Content-Type like req.headers does, and reports absent headers as undefined", () => {
    const headers = readRequestHeaders(["content-type", "text/plain", "content-type", "application/x-www-form-urlencoded", "expect", "something-else"]);
    assert.equal(headers.contentType, "text/plain");
    assert.equal(headers.contentLength, undefined);
    assert.equal(headers.expectsContinue, false);
    assert.equal(headers.timestamp, undefined);
    assert.equal(headers.signature, undefined);
  });

  test("a name of the right length but another spelling is not taken for the header", () => {
    const headers = readRequestHeaders(["content-typo", "x", "telnyx-timestamq", "1"]);
    assert.equal(headers.contentType, undefined);
    assert.equal(headers.timestamp, undefined);
  });
});
