// The TeXML callbacks that only Telnyx's rendered API-reference pages describe (recordings,
// transcriptions, conferences, queues, streams, SIPREC: FAMILY.md §1.3, source S3), and the generic
// TeXML callback. Their specs are not public, so a field is required here only where a page showed
// it required ([SEEN]); a field FAMILY.md only infers to be required is listed (its format checked
// when present) but not required: refusing a real callback costs more than passing an odd one on.
import { defineFormEventType, type FieldRule, type FormEventType } from "./event-type.ts";

const PAGE = "developers.telnyx.com/api-reference/callbacks/texml-";

/** Recording callbacks (recordingStatusCallback): AccountSid, CallSid [SEEN]; `RecordingChannels` an integer (example `1`). */
const RECORDING_FIELDS = {
  AccountSid: { required: true },
  CallSid: { required: true },
  CallSidLegacy: {},
  ConnectionId: {},
  RecordingChannels: { format: "integer" },
  RecordingSid: {},
  RecordingSource: {},
  RecordingStatus: { required: true },
} as const satisfies Record<string, FieldRule>;

/** A recording starts (`RecordingStatus=in-progress`). CallSidLegacy is [SEEN] required on this page. */
export const RECORDING_IN_PROGRESS = defineFormEventType({
  media: "form",
  type: "com.telnyx.texml.recording.in_progress",
  documentedBy: `TexmlRecordingInProgressWebhook, ${PAGE}recording-in-progress (FAMILY.md §1.3)`,
  recognisedBy: { values: { RecordingStatus: ["in-progress"] } },
  fields: { ...RECORDING_FIELDS, CallSidLegacy: { required: true } },
  source: "AccountSid",
  subject: "CallSid",
  id: "delivery",
});

/** A recording is complete (`RecordingStatus=completed`, with `RecordingUrl` and `RecordingDuration`). */
export const RECORDING_COMPLETED = defineFormEventType({
  media: "form",
  type: "com.telnyx.texml.recording.completed",
  documentedBy: `TexmlRecordingCompletedWebhook, ${PAGE}recording-completed (FAMILY.md §1.3)`,
  recognisedBy: { values: { RecordingStatus: ["completed"] } },
  fields: { ...RECORDING_FIELDS, RecordingDuration: {}, RecordingUrl: {} },
  source: "AccountSid",
  subject: "CallSid",
  id: "delivery",
});

/**
 * A recording's transcription is complete. Tried before the recording and call-progress entries:
 * it carries `CallStatus`, `RecordingSid` and `RecordingUrl` too (FAMILY.md §2).
 */
export const TRANSCRIPTION = defineFormEventType({
  media: "form",
  type: "com.telnyx.texml.transcription",
  documentedBy: `TexmlTranscriptionWebhook, ${PAGE}transcription (FAMILY.md §1.3)`,
  recognisedBy: { anyPresent: ["TranscriptionSid", "TranscriptionText", "TranscriptionStatus"] },
  fields: { AccountSid: { required: true }, CallSid: { required: true }, TranscriptionSid: {}, TranscriptionStatus: {}, TranscriptionText: {} },
  source: "AccountSid",
  subject: "CallSid",
  id: "delivery",
});

/** The fields the conference pages show (start, join, leave: the same set [SEEN]). */
const CONFERENCE_FIELDS = {
  AccountSid: { required: true },
  CallSid: { required: true },
  CallSidLegacy: { required: true },
  ConferenceSid: { required: true },
  ConnectionId: { required: true },
  FriendlyName: { required: true },
  StatusCallbackEvent: { required: true },
  SequenceNumber: { format: "integer" },
  Timestamp: { format: "date-time" },
} as const satisfies Record<string, FieldRule>;

/** A conference status callback (`<Conference statusCallbackEvent=…>`), told apart by `StatusCallbackEvent`. */
function conference(type: string, webhook: string, page: string, events: readonly string[]): FormEventType {
  return defineFormEventType<string>({
    media: "form",
    type,
    documentedBy: `${webhook}, ${page} (FAMILY.md §1.3)`,
    recognisedBy: { present: ["ConferenceSid"], values: { StatusCallbackEvent: events } },
    fields: CONFERENCE_FIELDS,
    source: "AccountSid",
    subject: "ConferenceSid",
    time: "Timestamp",
    id: { content: ["Timestamp", "SequenceNumber"] },
  });
}

/** The conference started (`StatusCallbackEvent=conference-start` [SEEN]). */
export const CONFERENCE_START = conference("com.telnyx.texml.conference.start", "TexmlConferenceStartWebhook", `${PAGE}conference-start`, ["conference-start"]);
/** The conference ended: `conference-end` is [INFERRED] by analogy (the page could not be read). */
export const CONFERENCE_END = conference("com.telnyx.texml.conference.end", "TexmlConferenceEndWebhook", `${PAGE}conference-end (fields inferred)`, ["conference-end"]);
/** A participant joined (`participant-join` [SEEN]). */
export const CONFERENCE_JOIN = conference("com.telnyx.texml.conference.join", "TexmlConferenceJoinWebhook", `${PAGE}conference-join`, ["participant-join"]);
/** A participant left (`participant-leave` [SEEN]). */
export const CONFERENCE_LEAVE = conference("com.telnyx.texml.conference.leave", "TexmlConferenceLeaveWebhook", `${PAGE}conference-leave`, ["participant-leave"]);
/**
 * The dominant speaker changed (`statusCallbackEvent="speaker"`). Its page could not be read: the
 * values are [INFERRED] from Twilio's (`participant-speech-start`/`-stop`) plus `speaker`; another
 * value is a generic callback on the general path.
 */
export const CONFERENCE_SPEAKER = conference(
  "com.telnyx.texml.conference.speaker",
  "TexmlConferenceSpeakerWebhook",
  `${PAGE}conference-speaker (fields inferred)`,
  ["participant-speech-start", "participant-speech-stop", "speaker"],
);

/**
 * The `<Enqueue waitUrl=…>` request (Telnyx reads the answer as TeXML). Drift (FAMILY.md §5): the
 * API page shows the queue figures as strings and `ConnectionId`, `From`, `To`; the older Enqueue
 * verb page shows integers and none of those three. Both are accepted: the figures are not
 * format-checked (a string "45" and an integer 45 are the same text on the wire) and only the
 * fields required on the API page [SEEN] are required.
 */
export const QUEUE = defineFormEventType({
  media: "form",
  type: "com.telnyx.texml.queue",
  documentedBy: `TexmlQueueWebhook, ${PAGE}queue (FAMILY.md §1.3); the <Enqueue> verb page (S4)`,
  recognisedBy: { anyPresent: ["QueueSid", "QueuePosition", "AvgQueueTime", "CurrentQueueSize"] },
  fields: { AccountSid: { required: true }, AvgQueueTime: { required: true }, CallSid: {}, CurrentQueueSize: {}, QueuePosition: {}, QueueSid: {}, QueueTime: {} },
  source: "AccountSid",
  subject: "CallSid",
  id: "delivery",
});

/** A media stream's status. `StreamEvent` values other than `stream-started` were not seen: not checked. */
export const STREAM = defineFormEventType({
  media: "form",
  type: "com.telnyx.texml.stream",
  documentedBy: `TexmlStreamWebhook, ${PAGE}stream (FAMILY.md §1.3)`,
  recognisedBy: { anyPresent: ["StreamEvent", "StreamSid"] },
  fields: { AccountSid: { required: true }, CallSid: { required: true }, CallSidLegacy: { required: true }, StreamEvent: {}, StreamSid: {}, Timestamp: { format: "date-time" } },
  source: "AccountSid",
  subject: "CallSid",
  time: "Timestamp",
  id: { content: ["Timestamp"] },
});

/** A SIPREC session's status. The only TeXML callback without `CallSidLegacy` [SEEN]. */
export const SIPREC = defineFormEventType({
  media: "form",
  type: "com.telnyx.texml.siprec",
  documentedBy: `TexmlSiprecWebhook, ${PAGE}siprec (FAMILY.md §1.3)`,
  recognisedBy: { anyPresent: ["SiprecEvent", "SiprecSid"] },
  fields: {
    AccountSid: { required: true },
    CallSid: { required: true },
    SiprecEvent: { required: true, oneOf: ["siprec-started", "siprec-stopped", "siprec-failed"] },
    SiprecSid: { required: true },
    Timestamp: { format: "date-time" },
  },
  source: "AccountSid",
  subject: "CallSid",
  time: "Timestamp",
  id: { content: ["Timestamp"] },
});

/** The CloudEvents type of a TeXML callback the relay does not know (or cannot tell apart). */
export const TEXML_CALLBACK_TYPE = "com.telnyx.texml.callback";

/**
 * A signed form body that is no known kind, or more than one (FAMILY.md §2's "otherwise"): a Gather
 * that timed out, the voice_url fetch, a callback Telnyx added since, a look-alike without what the
 * kind it resembles requires. Handed on as it is, a name given twice included; only the account is
 * required (every TeXML callback has it: it is the CloudEvents `source`).
 */
export const TEXML_CALLBACK = defineFormEventType({
  media: "form",
  type: TEXML_CALLBACK_TYPE,
  documentedBy: "any TeXML callback (FAMILY.md §1.1); AccountSid is common to all",
  recognisedBy: { byPathOnly: true },
  fields: { AccountSid: { required: true }, CallSid: {} },
  source: "AccountSid",
  subject: "CallSid",
  id: "delivery",
  generic: true,
});
