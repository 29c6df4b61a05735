// One example per TeXML callback type, as name/value pairs in the order of its source: the spec's
// example (texml-calls.yml, via the generated module) where it has one, else the API-reference
// page's example of FAMILY.md §1.3, else (said beside it) one built from a sibling's.
import type { TexmlKind } from "./texml-paths.ts";
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

type Fields = ReadonlyArray<readonly [string, string]>;

/** An example TeXML callback: its CloudEvents type, its fields and, if it has to be sent there, its kind's path. */
export interface TexmlExample {
  readonly type: string;
  readonly fields: Fields;
  readonly texmlKind?: TexmlKind;
}

const CALL = "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ";

/** The recording-in-progress page's example (FAMILY.md §1.3; CallSidLegacy elided there, the CallSid repeated). */
const RECORDING_IN_PROGRESS: Fields = [
  ["AccountSid", "cb6cfbbc-eb00-41af-a3f3-0d7b32009e4b"],
  ["CallSid", "v2:qiaymU9Ij90xJRRkYGWHOIx_41EVJPrzlny2zC67hwL1wVIUnnMrqQ"],
  ["CallSidLegacy", "v2:qiaymU9Ij90xJRRkYGWHOIx_41EVJPrzlny2zC67hwL1wVIUnnMrqQ"],
  ["ConnectionId", "1234567890"],
  ["RecordingChannels", "1"],
  ["RecordingSource", "DialVerb"],
  ["RecordingStatus", "in-progress"],
  ["RecordingSid", "35094891-3290-4142-b2c2-b2eda57534cf"],
];

/** The conference-start page's example (FAMILY.md §1.3); end and speaker (pages not read) change only `StatusCallbackEvent`. */
function conference(event: string): Fields {
  return [
    ["AccountSid", "f5586561-8ff0-4291-a51b-c7dfe4139ff9"],
    ["CallSid", CALL],
    ["CallSidLegacy", CALL],
    ["ConferenceSid", "conf_abc123def456"],
    ["ConnectionId", "1234567890"],
    ["FriendlyName", "MyConference"],
    ["SequenceNumber", "0"],
    ["StatusCallbackEvent", event],
    ["Timestamp", "2024-01-15T10:30:00Z"],
    ["CallingPartyType", "customer"],
    ["From", "+35319605860"],
    ["FromSipUri", "sip:user@example.com"],
    ["ParticipantLabel", "participant-1"],
    ["To", "+13129457420"],
    ["ToSipUri", "sip:conference@example.com"],
  ];
}

/**
 * One example per TeXML type except REFER (its example is in src/events/examples.ts), in the
 * registry's order.
 *
 * @example
 * ```ts
 * TEXML_EXAMPLES.find((example) => example.type === "com.telnyx.texml.call.answered")?.fields;
 * ```
 */
export const TEXML_EXAMPLES: readonly TexmlExample[] = [
  { type: "com.telnyx.texml.call.amd", fields: TEXML_CALL_AMD.example },
  {
    type: "com.telnyx.texml.siprec",
    // The SIPREC page's fields (FAMILY.md §1.3); values like its siblings'.
    fields: [["AccountSid", "f5586561-8ff0-4291-a51b-c7dfe4139ff9"], ["CallSid", CALL], ["SiprecEvent", "siprec-started"], ["SiprecSid", "siprec-abc123"], ["Timestamp", "2024-01-15T10:30:00Z"]],
  },
  {
    type: "com.telnyx.texml.stream",
    // The stream page's example values (FAMILY.md §1.3).
    fields: [["AccountSid", "f5586561-8ff0-4291-a51b-c7dfe4139ff9"], ["CallSid", CALL], ["CallSidLegacy", CALL], ["StreamEvent", "stream-started"], ["StreamName", "my_stream"], ["StreamSid", "stream-abc123"], ["Timestamp", "2024-01-15T10:30:00Z"]],
  },
  { type: "com.telnyx.texml.conference.start", fields: conference("conference-start") },
  { type: "com.telnyx.texml.conference.end", fields: conference("conference-end") },
  { type: "com.telnyx.texml.conference.join", fields: conference("participant-join") },
  { type: "com.telnyx.texml.conference.leave", fields: conference("participant-leave") },
  { type: "com.telnyx.texml.conference.speaker", fields: conference("participant-speech-start") },
  {
    type: "com.telnyx.texml.queue",
    // The queue page's example (FAMILY.md §1.3).
    fields: [["AccountSid", "4e71926f-8f13-450e-b91c-23c2ef786aa6"], ["AvgQueueTime", "45"], ["CallSid", CALL], ["CallSidLegacy", CALL], ["ConnectionId", "1234567890"], ["CurrentQueueSize", "3"], ["From", "+35319605860"], ["QueuePosition", "2"], ["QueueSid", "my-queue"], ["QueueTime", "30"], ["To", "+13129457420"]],
  },
  {
    type: "com.telnyx.texml.transcription",
    // The transcription page's example (FAMILY.md §1.3).
    fields: [
      ["AccountSid", "61bf923e-5e4d-4595-a110-56190ea18a1b"], ["CallSid", CALL], ["CallSidLegacy", CALL], ["CallStatus", "in-progress"], ["From", "+35319605860"],
      ["RecordingSid", "35094891-3290-4142-b2c2-b2eda57534cf"], ["RecordingUrl", "https://api.telnyx.com/v2/recordings/abc123.wav"], ["To", "+13129457420"],
      ["TranscriptionSid", "b08f0fa1-a32c-4218-b3b5-9cf78941ccac"], ["TranscriptionStatus", "completed"], ["TranscriptionText", "Good morning, how may I help you?"],
    ],
  },
  { type: "com.telnyx.texml.recording.in_progress", fields: RECORDING_IN_PROGRESS },
  {
    type: "com.telnyx.texml.recording.completed",
    // The recording-completed page's fields (FAMILY.md §1.3), its example values.
    fields: [
      ...RECORDING_IN_PROGRESS.filter(([name]) => name !== "RecordingStatus"),
      ["RecordingDuration", "5"], ["RecordingStatus", "completed"], ["RecordingUrl", "https://recording.com/your-recording-url"],
    ],
  },
  { type: "com.telnyx.texml.call.initiated", fields: TEXML_CALL_INITIATED.example },
  { type: "com.telnyx.texml.call.ringing", fields: TEXML_CALL_RINGING.example },
  { type: "com.telnyx.texml.call.answered", fields: TEXML_CALL_ANSWERED.example },
  { type: "com.telnyx.texml.call.completed", fields: TEXML_CALL_COMPLETED.example },
  { type: "com.telnyx.texml.call.dtmf", fields: TEXML_CALL_DTMF.example },
  { type: "com.telnyx.texml.ai_gather", fields: TEXML_AI_GATHER.example },
  { type: "com.telnyx.texml.gather", fields: TEXML_GATHER.example },
  { type: "com.telnyx.texml.http_request", fields: TEXML_HTTP_REQUEST.example, texmlKind: "http-request" },
  // A gather that timed out (the spec's gather example without its input): no kind can be told.
  { type: "com.telnyx.texml.callback", fields: TEXML_GATHER.example.filter(([name]) => !["Confidence", "Digits", "SpeechResult"].includes(name)) },
];
