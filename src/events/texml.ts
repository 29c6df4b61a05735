// The TeXML callbacks (form-encoded POSTs): one registry entry each. Today only the REFER status
// callback; the next issue adds the others of FAMILY.md §1 (generated from texml-calls.yml where
// the spec has them), each an entry like this one.
import { defineFormEventType, type FormEventType } from "./event-type.ts";

/**
 * `ReferCallStatus` values. The API reference lists the first four; the TeXML `<Refer>` verb page
 * also lists `no-answer`.
 */
export const REFER_CALL_STATUSES = ["failed", "in-progress", "busy", "canceled", "no-answer"] as const;

/** One of {@link REFER_CALL_STATUSES}. */
export type ReferCallStatus = (typeof REFER_CALL_STATUSES)[number];

/** The CloudEvents type of a TeXML REFER status callback. */
export const REFER_STATUS_TYPE = "com.telnyx.texml.refer.status";

/** The fields of the REFER status callback's table (JSR wants the exported entry's type spelt out). */
export type ReferStatusField = "AccountSid" | "CallSid" | "CallSidLegacy" | "ReferCallStatus" | "Timestamp" | "NotifySipResponseCode" | "ReferSipResponseCode";

/**
 * The TeXML REFER status callback, sent to a `<Refer action=…>` URL when the verb ends.
 *
 * `NotifySipResponseCode` and `ReferSipResponseCode` are sent only when the REFER succeeded: absent
 * or empty is fine, otherwise a SIP code. The id is a hash of the fields: the callback carries no id.
 */
export const REFER_STATUS: FormEventType<ReferStatusField> = defineFormEventType({
  media: "form",
  type: REFER_STATUS_TYPE,
  documentedBy: "TexmlReferStatusWebhook in texml/calls.yml (FAMILY.md S2); `no-answer` from the <Refer> verb page (S4)",
  recognisedBy: { present: ["ReferCallStatus"] },
  fields: {
    AccountSid: { required: true },
    CallSid: { required: true },
    CallSidLegacy: { required: true },
    ReferCallStatus: { required: true, oneOf: REFER_CALL_STATUSES },
    Timestamp: { required: true, format: "date-time" },
    NotifySipResponseCode: { format: "sip-code" },
    ReferSipResponseCode: { format: "sip-code" },
  },
  source: "AccountSid",
  subject: "CallSid",
  time: "Timestamp",
  id: "hash-of-fields",
});
