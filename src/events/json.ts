// The JSON webhooks (Call Control, Messaging, Fax, hosted numbers, …): one registry entry per
// `data.event_type` of Telnyx's spec3.json, built from the generated table (src/events/json-tables.ts,
// written by scripts/generate-json-types.ts), plus the generic entry for every other JSON body.
import type { JsonEventType } from "./event-type.ts";
import { JSON_WEBHOOK_ROWS } from "./json-tables.ts";

/**
 * The CloudEvents type of a JSON webhook with no well-formed `event_type` (none, as 10DLC's flat
 * campaign update and the link click; or one that is no type name): its `event_type`, if any, rides
 * in `telnyxeventtype`.
 */
export const JSON_GENERIC_TYPE = "com.telnyx.webhook";

/** The longest `event_type` taken as a type name (Telnyx's longest is 68 characters). */
export const MAX_EVENT_TYPE_LENGTH = 100;

// Lower-case dotted names, two or more segments of letters, digits and `_`, as every Telnyx
// event_type is (`call.hangup`, `messaging_hosted_numbers_orders.internal_transfer_approved`). At
// least one dot, and not `texml.…`: so no name can become `com.telnyx.webhook` or a TeXML type.
const EVENT_TYPE_NAME = /^(?!texml\.)[a-z0-9_]+(?:\.[a-z0-9_]+)+$/;

/**
 * Whether an `event_type` is well-formed: lower-case dotted identifiers (letters, digits, `_`; at
 * least two segments; not starting `texml.`), at most {@link MAX_EVENT_TYPE_LENGTH} characters. A
 * well-formed one is typed `com.telnyx.<event_type>` whether the relay knows it or not, so that a
 * type never changes when a release learns it; any other is generic (`com.telnyx.webhook`).
 *
 * @param eventType `data.event_type` (or the newer envelope's `event`).
 * @returns True when it names a type.
 * @example
 * ```ts
 * isWellFormedEventType("call.teleported"); // true
 * isWellFormedEventType("Call Teleported"); // false
 * isWellFormedEventType("texml.callback");  // false
 * ```
 */
export function isWellFormedEventType(eventType: string): boolean {
  return eventType.length <= MAX_EVENT_TYPE_LENGTH && EVENT_TYPE_NAME.test(eventType);
}

/**
 * The CloudEvents type of a JSON webhook `event_type`.
 *
 * @param eventType `data.event_type`, e.g. `call.refer.failed`.
 * @returns `com.telnyx.<event_type>`, e.g. `com.telnyx.call.refer.failed`.
 * @example
 * ```ts
 * jsonCloudEventType("call.hangup"); // "com.telnyx.call.hangup"
 * ```
 */
export function jsonCloudEventType(eventType: string): string {
  return `com.telnyx.${eventType}`;
}

/**
 * One entry per spec `event_type`. The envelope's fields are required (see validateJsonEvent); the
 * spec marks no payload field required, and its own examples leave out even the natural key
 * (`call_control_id` in the call.machine.* and call.recording.error examples), so none is: the
 * CloudEvents `subject` (`call_control_id` for calls, `conference_id`, `fax_id`, the message's `id`,
 * the order's `order_id`) is omitted when absent. Types and enums are the spec's; null is accepted
 * (Telnyx sends null for absent values, e.g. `completed_at`).
 */
export const JSON_EVENT_TYPES: readonly JsonEventType[] = JSON_WEBHOOK_ROWS.map((row) => ({
  media: "json",
  type: jsonCloudEventType(row.eventType),
  eventType: row.eventType,
  documentedBy: `spec3.json webhooks.${row.webhook}`,
  occurredAt: row.occurredAt,
  payload: row.fields,
  ...(row.subject === undefined ? {} : { subject: row.subject }),
  id: "telnyx-id",
}));

/**
 * Any JSON body with no well-formed `event_type`: 10DLC's flat campaign status update, the link
 * click (`record_type: link_clicked`), an `event_type` that is no type name. Handed on as
 * `com.telnyx.webhook` with its `event_type` (when it has one) as `telnyxeventtype`; never refused
 * for its shape, only for not being a JSON object. (A well-formed `event_type` no entry knows gets
 * its own generic entry: see {@link unknownJsonEventType}.)
 */
export const JSON_GENERIC: JsonEventType = {
  media: "json",
  type: JSON_GENERIC_TYPE,
  eventType: undefined,
  generic: true,
  documentedBy: "FAMILY.md §3.1 (the envelopes that differ) and any event_type that is no type name",
  occurredAt: false,
  payload: {},
  id: "telnyx-id",
};

/**
 * The entry of a well-formed `event_type` no entry knows (a Telnyx event newer than spec3.json, the
 * newer `{id, event, occurred_at, version, data}` envelope's `event`): typed `com.telnyx.<event_type>`
 * as a known one would be, validated as generic (nothing beyond being a JSON object), counted and
 * warned about as unknown by the relay.
 *
 * @param eventType A well-formed `event_type` (see isWellFormedEventType).
 * @returns A generic entry of that type.
 * @example
 * ```ts
 * unknownJsonEventType("call.teleported").type; // "com.telnyx.call.teleported"
 * ```
 */
export function unknownJsonEventType(eventType: string): JsonEventType {
  return { ...JSON_GENERIC, type: jsonCloudEventType(eventType), eventType, documentedBy: "an event_type the relay does not know yet" };
}
