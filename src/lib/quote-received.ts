// Not to be confused with the JSON-string writer of the CloudEvent encoder (jsonString in
// src/pipeline/cloud-event.ts): that one must be exact; this one is for people reading a message.

/** Longer received values are cut to this many characters in a message. */
const MAX_QUOTED = 64;

/**
 * Quotes a value received from outside for an error message or a log line: JSON string syntax, so
 * a newline or a quote in it cannot break the line or fake another one, cut short so a reason stays
 * one short line.
 *
 * @param value The value as received.
 * @returns The quoted text, e.g. `"busy\nFAKE"` or `"xxxx…"`.
 * @example
 * ```ts
 * `ReferCallStatus ${quoteReceived("ringing")} is not one of …`; // ReferCallStatus "ringing" is not one of …
 * ```
 */
export function quoteReceived(value: string): string {
  return JSON.stringify(value.length > MAX_QUOTED ? `${value.slice(0, MAX_QUOTED)}…` : value);
}
