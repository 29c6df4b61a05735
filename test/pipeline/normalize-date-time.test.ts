import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { normalizeDateTime } from "../../src/pipeline/normalize-date-time.ts";

describe("normalizeDateTime", () => {
  const accepted: ReadonlyArray<readonly [string, string, string]> = [
    // RFC 3339 and ISO-like
    ["keeps canonical RFC 3339 in UTC unchanged", "2024-01-15T10:30:00Z", "2024-01-15T10:30:00Z"],
    ["replaces a space separator with T and keeps microseconds", "2021-04-28 21:51:13.591099Z", "2021-04-28T21:51:13.591099Z"],
    ["upper-cases a lower-case t and z", "2024-01-15t10:30:00z", "2024-01-15T10:30:00Z"],
    ["keeps a colon offset as given", "2024-01-15T10:30:00+05:30", "2024-01-15T10:30:00+05:30"],
    ["adds a colon to an offset without one", "2024-01-15T10:30:00-0500", "2024-01-15T10:30:00-05:00"],
    ["keeps +0000 as an offset rather than Z", "2024-01-15T10:30:00+0000", "2024-01-15T10:30:00+00:00"],
    ["keeps a one-digit fraction", "2024-01-15T10:30:00.5Z", "2024-01-15T10:30:00.5Z"],
    ["keeps a nine-digit fraction without rounding", "2024-01-15T10:30:00.123456789Z", "2024-01-15T10:30:00.123456789Z"],
    ["keeps trailing zeros in a fraction", "2024-01-15T10:30:00.100-08:00", "2024-01-15T10:30:00.100-08:00"],
    ["accepts 29 February in a leap year", "2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"],
    ["accepts 29 February in a year divisible by 400", "2000-02-29T00:00:00Z", "2000-02-29T00:00:00Z"],
    ["accepts a leap second", "2016-12-31T23:59:60Z", "2016-12-31T23:59:60Z"],
    ["accepts the largest hour, minute and offset", "2024-12-31T23:59:59+23:59", "2024-12-31T23:59:59+23:59"],
    // RFC 2822
    ["converts RFC 2822 with weekday and +0000", "Wed, 28 Apr 2021 21:51:13 +0000", "2021-04-28T21:51:13+00:00"],
    ["converts RFC 2822 without weekday or seconds, GMT to Z", "28 Apr 2021 21:51 GMT", "2021-04-28T21:51:00Z"],
    ["converts UT to Z", "28 Apr 2021 21:51:13 UT", "2021-04-28T21:51:13Z"],
    ["converts Z to Z", "28 Apr 2021 21:51:13 Z", "2021-04-28T21:51:13Z"],
    ["pads a one-digit day", "Mon, 5 Feb 2024 09:03:07 -0130", "2024-02-05T09:03:07-01:30"],
    ["reads month, weekday and zone case-insensitively", "wed, 28 APR 2021 21:51:13 gmt", "2021-04-28T21:51:13Z"],
    ["accepts runs of spaces and tabs between tokens", "Wed ,\t28  Apr\t2021 21:51:13  +0200", "2021-04-28T21:51:13+02:00"],
    ["accepts a weekday without space after the comma", "Wed,28 Apr 2021 21:51:13 +0000", "2021-04-28T21:51:13+00:00"],
    ["accepts 29 February in a leap year (RFC 2822)", "Thu, 29 Feb 2024 12:00:00 +0000", "2024-02-29T12:00:00+00:00"],
    ["converts EST", "28 Apr 2021 21:51:13 EST", "2021-04-28T21:51:13-05:00"],
    ["converts EDT", "28 Apr 2021 21:51:13 EDT", "2021-04-28T21:51:13-04:00"],
    ["converts CST", "28 Apr 2021 21:51:13 CST", "2021-04-28T21:51:13-06:00"],
    ["converts CDT", "28 Apr 2021 21:51:13 CDT", "2021-04-28T21:51:13-05:00"],
    ["converts MST", "28 Apr 2021 21:51:13 MST", "2021-04-28T21:51:13-07:00"],
    ["converts MDT", "28 Apr 2021 21:51:13 MDT", "2021-04-28T21:51:13-06:00"],
    ["converts PST", "28 Apr 2021 21:51:13 PST", "2021-04-28T21:51:13-08:00"],
    ["converts PDT", "28 Apr 2021 21:51:13 PDT", "2021-04-28T21:51:13-07:00"],
  ];
  for (const [name, input, expected] of accepted) {
    test(`${name}: ${JSON.stringify(input)}`, () => {
      assert.equal(normalizeDateTime(input), expected);
    });
  }

  const rejected: ReadonlyArray<readonly [string, string]> = [
    ["an empty string", ""],
    ["NaN", "NaN"],
    ["a Unix timestamp", "1705314600"],
    ["a date without a time", "2024-01-15"],
    ["a local time without a zone", "2024-01-15T10:30:00"],
    ["a space-separated local time without a zone", "2021-04-28 21:51:13.591099"],
    ["a leading space", " 2024-01-15T10:30:00Z"],
    ["a trailing space", "2024-01-15T10:30:00Z "],
    ["a trailing newline", "2024-01-15T10:30:00Z\n"],
    ["a one-digit month", "2024-1-15T10:30:00Z"],
    ["a five-digit year", "12024-01-15T10:30:00Z"],
    ["month 00", "2024-00-15T10:30:00Z"],
    ["month 13", "2024-13-15T10:30:00Z"],
    ["day 00", "2024-01-00T10:30:00Z"],
    ["day 32", "2024-01-32T10:30:00Z"],
    ["31 April", "2024-04-31T10:30:00Z"],
    ["29 February in a common year", "2023-02-29T10:30:00Z"],
    ["29 February in a century not divisible by 400", "1900-02-29T10:30:00Z"],
    ["hour 24", "2024-01-15T24:00:00Z"],
    ["minute 60", "2024-01-15T10:60:00Z"],
    ["second 61", "2024-01-15T10:30:61Z"],
    ["missing seconds in RFC 3339", "2024-01-15T10:30Z"],
    ["ten fraction digits", "2024-01-15T10:30:00.1234567890Z"],
    ["a fraction point without digits", "2024-01-15T10:30:00.Z"],
    ["a comma as fraction separator", "2024-01-15T10:30:00,5Z"],
    ["offset hour 24", "2024-01-15T10:30:00+24:00"],
    ["offset minute 60", "2024-01-15T10:30:00+05:60"],
    ["a one-digit offset hour", "2024-01-15T10:30:00+5:00"],
    ["an hour-only offset", "2024-01-15T10:30:00+05"],
    ["a named zone in RFC 3339", "2024-01-15T10:30:00 GMT"],
    ["junk after the zone in RFC 3339", "2024-01-15T10:30:00Zjunk"],
    ["another separator than T or space", "2024-01-15X10:30:00Z"],
    ["a wrong weekday", "Thu, 28 Apr 2021 21:51:13 +0000"],
    ["an unknown weekday", "Wen, 28 Apr 2021 21:51:13 +0000"],
    ["a weekday without a comma", "Wed 28 Apr 2021 21:51:13 +0000"],
    ["an unknown month", "28 Apx 2021 21:51:13 +0000"],
    ["a full month name", "28 April 2021 21:51:13 +0000"],
    ["a two-digit year in RFC 2822", "28 Apr 21 21:51:13 +0000"],
    ["a three-digit day in RFC 2822", "028 Apr 2021 21:51:13 +0000"],
    ["day 00 in RFC 2822", "0 Apr 2021 21:51:13 +0000"],
    ["31 April in RFC 2822", "31 Apr 2021 21:51:13 +0000"],
    ["29 February in a common year in RFC 2822", "29 Feb 2023 21:51:13 +0000"],
    ["hour 24 in RFC 2822", "28 Apr 2021 24:00:00 +0000"],
    ["minute 60 in RFC 2822", "28 Apr 2021 21:60 +0000"],
    ["second 61 in RFC 2822", "28 Apr 2021 21:51:61 +0000"],
    ["a fraction in RFC 2822", "28 Apr 2021 21:51:13.5 +0000"],
    ["no zone in RFC 2822", "28 Apr 2021 21:51:13"],
    ["an unknown zone", "28 Apr 2021 21:51:13 XYZ"],
    ["a military zone other than Z", "28 Apr 2021 21:51:13 A"],
    ["a colon offset in RFC 2822", "28 Apr 2021 21:51:13 +00:00"],
    ["offset hour 24 in RFC 2822", "28 Apr 2021 21:51:13 +2400"],
    ["junk after the zone in RFC 2822", "28 Apr 2021 21:51:13 +0000 (UTC)"],
    ["no space before the zone", "28 Apr 2021 21:51:13+0000"],
    ["a leading space in RFC 2822", " 28 Apr 2021 21:51:13 +0000"],
    ["a trailing space in RFC 2822", "28 Apr 2021 21:51:13 +0000 "],
    ["a line break between tokens", "28 Apr 2021\r\n 21:51:13 +0000"],
  ];
  for (const [name, input] of rejected) {
    test(`rejects ${name}: ${JSON.stringify(input)}`, () => {
      assert.equal(normalizeDateTime(input), undefined);
    });
  }
});
