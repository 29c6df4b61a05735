// One example delivery per registered event type, as Telnyx would POST it (before signing): the
// demo sends each, `telnyx-relay send` (when it exists) signs and sends them, and a test checks that
// every registered type has one and that it validates as that type. Each is the spec's or the docs'
// own example where there is one (say which beside it).
import { JSON_GENERIC_TYPE, jsonCloudEventType } from "./json.ts";
import { JSON_WEBHOOK_ROWS } from "./json-tables.ts";
import { CONTENT_TYPES } from "./media-type.ts";
import { REFER_STATUS_TYPE } from "./texml.ts";
import { TEXML_EXAMPLES } from "./texml-examples.ts";
import type { TexmlKind } from "./texml-paths.ts";

/** An example delivery of one event type, as Telnyx would POST it (before signing). */
export interface ExampleDelivery {
  /** The CloudEvents type it must come out as. */
  readonly type: string;
  readonly contentType: string;
  readonly body: string;
  /** A TeXML callback told apart only by its path: POST it to `<path>/texml/<kind>`. */
  readonly texmlKind?: TexmlKind;
}

/**
 * Encodes fields as `application/x-www-form-urlencoded`, the way Telnyx sends them (`+` for a
 * space, `%2B` for a plus sign, so `+0000` in a time zone survives).
 *
 * @param fields Name/value pairs, in order.
 * @returns The body text.
 * @example
 * ```ts
 * encodeForm([["Timestamp", "2024-01-15 10:30:00 +0000"]]); // "Timestamp=2024-01-15+10%3A30%3A00+%2B0000"
 * ```
 */
export function encodeForm(fields: ReadonlyArray<readonly [string, string]>): string {
  return new URLSearchParams(fields.map(([name, value]): [string, string] => [name, value])).toString();
}

/** The REFER status callback example of Telnyx's API reference (TexmlReferStatusWebhook), in its order. */
export const REFER_STATUS_EXAMPLE_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ["AccountSid", "f5586561-8ff0-4291-a51b-c7dfe4139ff9"],
  ["CallSid", "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ"],
  ["CallSidLegacy", "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ"],
  ["ReferCallStatus", "in-progress"],
  ["Timestamp", "2024-01-15T10:30:00Z"],
  ["NotifySipResponseCode", "200"],
  ["ReferSipResponseCode", "202"],
];

/** One example per event type in the registry (src/events/registry.ts), in its order. */
export const EXAMPLES: readonly ExampleDelivery[] = [
  { type: REFER_STATUS_TYPE, contentType: CONTENT_TYPES.form, body: encodeForm(REFER_STATUS_EXAMPLE_FIELDS) },
  ...TEXML_EXAMPLES.map(({ type, fields, texmlKind }) => ({ type, contentType: CONTENT_TYPES.form, body: encodeForm(fields), ...(texmlKind && { texmlKind }) })),
  // spec3.json's own example of each JSON webhook (src/events/json-tables.ts, generated); one example
  // serves each event_type of a webhook with several (deliveryUpdate, hostedNumberOrderEvent).
  ...JSON_WEBHOOK_ROWS.flatMap((row) => (row.example === undefined ? [] : [{ type: jsonCloudEventType(row.eventType), contentType: CONTENT_TYPES.json, body: row.example }])),
  // A JSON webhook with no event_type: 10DLC's flat campaign status update (spec3.json's
  // CampaignStatusUpdateEvent, from its fields' examples; FAMILY.md §3.1).
  {
    type: JSON_GENERIC_TYPE,
    contentType: CONTENT_TYPES.json,
    body: '{"brandId":"d88dd2aa-1bb9-4ef0-9ec8-1752b80316a5","campaignId":"4b300178-131c-d902-d54e-72d90ba1620j","description":"Campaign has been marked as dormant","status":"DORMANT","type":"TELNYX_EVENT"}',
  },
];
