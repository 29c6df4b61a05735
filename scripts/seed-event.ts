// The example REFER status callback from Telnyx's API reference (TexmlReferStatusWebhook), as the
// form body Telnyx POSTs. Shared by the demo and the tests.

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
