// The TeXML callbacks of Telnyx's TeXML calls spec (texml-calls.yml, FAMILY.md §1.2): one registry
// entry each. Their field tables are generated from the spec (src/events/texml-generated.ts, by
// scripts/generate-texml-types.ts); this module adds what the spec does not say: the CloudEvents
// type, how a body is recognised on the general path (FAMILY.md §2), and the fields for source,
// subject and time. The callbacks only the docs describe are in src/events/texml-docs.ts.
//
// CloudEvents types: `com.telnyx.texml.` + the webhook's name between `Texml` and `Webhook`, one
// lower-case word a dot-separated segment, a compound noun joined by `_` (`TexmlCallAmdWebhook` →
// `com.telnyx.texml.call.amd`, `TexmlAiGatherWebhook` → `com.telnyx.texml.ai_gather`,
// `TexmlRecordingInProgressWebhook` → `com.telnyx.texml.recording.in_progress`).
import { defineFormEventType, type FieldRule, type FormEventType } from "./event-type.ts";
import {
  TEXML_AI_GATHER,
  TEXML_CALL_AMD,
  TEXML_CALL_ANSWERED,
  TEXML_CALL_COMPLETED,
  TEXML_CALL_DTMF,
  TEXML_CALL_INITIATED,
  TEXML_CALL_RINGING,
  TEXML_GATHER,
  TEXML_HTTP_REQUEST,
} from "./texml-generated.ts";

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
 * or empty is fine, otherwise a SIP code. Its `Timestamp` makes each callback's body unique, so the
 * body identifies it (see FormIdRule).
 * Written by hand (its table agrees with the generated `TEXML_REFER_STATUS`, plus `no-answer`, which
 * a test checks) so that its order of problems, and so its stdout line, stay as they were.
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
  id: { content: ["Timestamp"] },
});

const SPEC = "in texml/calls.yml (FAMILY.md S2)";
const CALL_PROGRESS = "call-progress-events";

/** The fields every call-progress table has (the generated tables are checked against this when passed). */
type CallProgressFields = Readonly<Record<"AccountSid" | "CallSid" | "Timestamp" | "CallStatus", FieldRule>> & Readonly<Record<string, FieldRule>>;

/** A call-progress callback of the spec: recognised by `CallbackSource` and its own `CallStatus` values. */
function callProgress(type: string, webhook: string, fields: CallProgressFields): FormEventType {
  return defineFormEventType<string>({
    media: "form",
    type,
    documentedBy: `${webhook} ${SPEC}`,
    recognisedBy: { values: { CallbackSource: [CALL_PROGRESS], CallStatus: fields.CallStatus.oneOf ?? [] } },
    fields,
    source: "AccountSid",
    subject: "CallSid",
    time: "Timestamp",
    id: { content: ["Timestamp", "SequenceNumber"] },
  });
}

/** Call progress, `CallStatus=initiated`. */
export const CALL_INITIATED = callProgress("com.telnyx.texml.call.initiated", "TexmlCallInitiatedWebhook", TEXML_CALL_INITIATED.fields);
/** Call progress, `CallStatus=ringing`. */
export const CALL_RINGING = callProgress("com.telnyx.texml.call.ringing", "TexmlCallRingingWebhook", TEXML_CALL_RINGING.fields);
/** Call progress, event `answered` (`CallStatus=in-progress`). */
export const CALL_ANSWERED = callProgress("com.telnyx.texml.call.answered", "TexmlCallAnsweredWebhook", TEXML_CALL_ANSWERED.fields);
/**
 * Call progress, a terminal `CallStatus` (completed, busy, no-answer, canceled, failed). The same
 * schema serves `<Dial>` hangup action callbacks (`DialCallStatus`, …); whether those carry
 * `CallbackSource` is not documented, so one without it is generic on the general path.
 */
export const CALL_COMPLETED = callProgress("com.telnyx.texml.call.completed", "TexmlCallCompletedWebhook", TEXML_CALL_COMPLETED.fields);
/** Call progress, `CallStatus=dtmf` with the `Digit` pressed. */
export const CALL_DTMF = callProgress("com.telnyx.texml.call.dtmf", "TexmlCallDtmfWebhook", TEXML_CALL_DTMF.fields);

/** The result of asynchronous answering-machine detection. Carries no timestamp: no CloudEvents `time`. */
export const CALL_AMD = defineFormEventType({
  media: "form",
  type: "com.telnyx.texml.call.amd",
  documentedBy: `TexmlCallAmdWebhook ${SPEC}`,
  recognisedBy: { present: ["AnsweredBy"] },
  fields: TEXML_CALL_AMD.fields,
  source: "AccountSid",
  subject: "CallSid",
  id: "delivery",
});

/**
 * The `<Gather action=…>` callback (Telnyx reads the answer as TeXML). Recognised on the general
 * path only when it carries input (`Digits`, `SpeechResult` or `Confidence`): a gather that timed
 * out looks like any other callback, so give it its own path.
 */
export const GATHER = defineFormEventType({
  media: "form",
  type: "com.telnyx.texml.gather",
  documentedBy: `TexmlGatherWebhook ${SPEC}`,
  recognisedBy: { anyPresent: ["Digits", "SpeechResult", "Confidence"] },
  fields: TEXML_GATHER.fields,
  source: "AccountSid",
  subject: "CallSid",
  id: "delivery",
});

/** The `<AIGather action=…>` callback: `Status` and the base64 JSON results (Telnyx reads the answer as TeXML). */
export const AI_GATHER = defineFormEventType({
  media: "form",
  type: "com.telnyx.texml.ai_gather",
  documentedBy: `TexmlAiGatherWebhook ${SPEC}`,
  recognisedBy: { present: ["Status"], anyPresent: ["Base64Result", "Base64MessageHistory"] },
  fields: TEXML_AI_GATHER.fields,
  source: "AccountSid",
  subject: "CallSid",
  id: "delivery",
});

/**
 * The `<HttpRequest>` action callback: the call's fields plus the customer's own field mappings
 * (`additionalProperties: true`), whose names can be anything, so it is recognised only on its own
 * path (Telnyx reads the answer as TeXML).
 */
export const HTTP_REQUEST = defineFormEventType({
  media: "form",
  type: "com.telnyx.texml.http_request",
  documentedBy: `TexmlHttpRequestWebhook ${SPEC}`,
  recognisedBy: { byPathOnly: true },
  fields: TEXML_HTTP_REQUEST.fields,
  source: "AccountSid",
  subject: "CallSid",
  id: "delivery",
});
