// The JSON webhooks (Call Control, Messaging, Fax, hosted numbers, …): one registry entry per
// `data.event_type` of Telnyx's spec3.json, built from the generated table (src/events/json-tables.ts,
// written by scripts/generate-json-types.ts), plus the generic entry for every other JSON body.
import type { JsonEventType } from "./event-type.ts";
import { JSON_WEBHOOK_ROWS } from "./json-tables.ts";

/** The CloudEvents type of a JSON webhook the relay does not know (its `event_type` rides in `telnyxeventtype`). */
export const JSON_GENERIC_TYPE = "com.telnyx.webhook";

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
 * Any JSON body no entry knows: a new Telnyx event, 10DLC's flat campaign status update, the link
 * click (`record_type: link_clicked`), the newer `{id, event, occurred_at, version, data}` envelope.
 * Handed on as `com.telnyx.webhook` with its `event_type` (when it has one) as `telnyxeventtype`;
 * never refused for its shape, only for not being a JSON object.
 */
export const JSON_GENERIC: JsonEventType = {
  media: "json",
  type: JSON_GENERIC_TYPE,
  eventType: undefined,
  generic: true,
  documentedBy: "FAMILY.md §3.1 (the envelopes that differ) and any event_type newer than spec3.json",
  occurredAt: false,
  payload: {},
  id: "telnyx-id",
};
