// The example REFER status callback from Telnyx's API reference (TexmlReferStatusWebhook), as the
// form body Telnyx POSTs, and one example delivery per registered event type. Shared by the demo,
// the bench and the tests.
import { REFER_STATUS_TYPE } from "../src/events/texml.ts";

/** The seed event's fields, in the reference's order. */
export const SEED_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ["AccountSid", "f5586561-8ff0-4291-a51b-c7dfe4139ff9"],
  ["CallSid", "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ"],
  ["CallSidLegacy", "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ"],
  ["ReferCallStatus", "in-progress"],
  ["Timestamp", "2024-01-15T10:30:00Z"],
  ["NotifySipResponseCode", "200"],
  ["ReferSipResponseCode", "202"],
];

/**
 * Encodes fields as `application/x-www-form-urlencoded`, the way Telnyx sends them.
 *
 * @param fields Name/value pairs.
 * @returns The body text.
 */
export function encodeForm(fields: ReadonlyArray<readonly [string, string]>): string {
  return new URLSearchParams(fields.map(([name, value]): [string, string] => [name, value])).toString();
}

/** The seed event's body. */
export const SEED_BODY = encodeForm(SEED_FIELDS);

/** An example delivery of one event type, as Telnyx would POST it (before signing). */
export interface ExampleDelivery {
  /** The CloudEvents type it must come out as. */
  readonly type: string;
  readonly contentType: string;
  readonly body: string;
}

/**
 * One example per event type in the registry (src/events/registry.ts): `npm run demo` sends each,
 * and a test checks that every registered type has one and that it validates as that type.
 */
export const EXAMPLES: readonly ExampleDelivery[] = [
  { type: REFER_STATUS_TYPE, contentType: "application/x-www-form-urlencoded", body: SEED_BODY },
];
