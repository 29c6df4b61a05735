import { hash } from "node:crypto";
import type { DecodedBody, EventIdRule, EventType } from "../events/event-type.ts";

/**
 * A stable id for an event, derived from its signed content.
 *
 * Telnyx redelivers the same event with a new `telnyx-timestamp` header and signature, but the same
 * fields; TeXML callbacks carry no event id of their own. Hashing the decoded fields (not the
 * delivery headers, and not the raw bytes, so a different but equivalent percent-encoding of a
 * redelivery still gives the same id) makes redeliveries share one id that consumers can dedupe on.
 *
 * @param fields Name/value pairs in body order.
 * @returns 32 lowercase hex characters (128 bits of SHA-256).
 * @example
 * ```ts
 * eventId([["CallSid", "v3:abc"], ["Timestamp", "2024-01-15T10:30:00Z"]]); // "5f0c…" (32 hex digits)
 * ```
 */
export function eventId(fields: ReadonlyArray<readonly [string, string]>): string {
  let text = "";
  for (const [name, value] of fields) {
    // Length-prefixed, so ("ab","c") and ("a","bc") hash differently.
    text += `${name.length}:${name}${value.length}:${value}`;
  }
  // One-shot: no Hash object per event (0.5 µs against 0.9 µs for createHash here).
  return hash("sha256", text, "hex").slice(0, 32);
}

/** How each id rule of the registry is computed. A `Record` over every rule: a new rule needs its function here. */
const ID_RULES: Readonly<Record<EventIdRule, (body: DecodedBody) => string>> = {
  "hash-of-fields": (body) => eventId(body.fields),
};

/**
 * The id of a valid event, by its type's id rule (see EventIdRule).
 *
 * @param type The event's registry entry.
 * @param body Its decoded body.
 * @returns The id: the same for every redelivery of the event.
 * @example
 * ```ts
 * const id = deriveEventId(type, body); // for a TeXML callback, eventId(body.fields)
 * ```
 */
export function deriveEventId(type: EventType, body: DecodedBody): string {
  return ID_RULES[type.id](body);
}
