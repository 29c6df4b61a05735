import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { parseRetryAfter } from "../../../src/transports/http/retry-after.ts";

const NOW = 1_795_420_800_123;
const now = (): number => NOW;

describe("parseRetryAfter()", () => {
  test("reads delay seconds", () => {
    assert.equal(parseRetryAfter("0", now), 0);
    assert.equal(parseRetryAfter("120", now), 120_000);
    assert.equal(parseRetryAfter(" 7 ", now), 7000);
  });

  test("reads an HTTP date as the milliseconds until it", () => {
    const whole = NOW - (NOW % 1000);
    assert.equal(parseRetryAfter(new Date(whole + 5000).toUTCString(), () => whole), 5000);
    assert.equal(parseRetryAfter(new Date(whole + 5000).toUTCString(), () => whole + 1000), 4000);
  });

  test("an HTTP date in the past is 0 ms", () => {
    assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now), 0);
  });

  test("absent or unreadable is undefined", () => {
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter("", now), undefined);
    assert.equal(parseRetryAfter("soon", now), undefined);
    assert.equal(parseRetryAfter("12345678901", now), undefined);
  });

  test(
    "a negative or fractional number, or text that is not an HTTP date, is unreadable (undefined), not 0",
    () => {
      assert.equal(parseRetryAfter("-5", now), undefined);
      assert.equal(parseRetryAfter("1.5", now), undefined);
      assert.equal(parseRetryAfter("Tuesday 5", now), undefined);
    },
  );
});
