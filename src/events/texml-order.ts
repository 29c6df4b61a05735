// The TeXML entries in the order the registry tries them on the general path (FAMILY.md §2), and
// the generic callback last. The first that holds wins, so REFER, tried first, costs one property
// read; the last costs ~20 such tests, against ~50 µs for the signature.
import type { FormEventType } from "./event-type.ts";
import { AI_GATHER, CALL_AMD, CALL_ANSWERED, CALL_COMPLETED, CALL_DTMF, CALL_INITIATED, CALL_RINGING, GATHER, HTTP_REQUEST, REFER_STATUS } from "./texml.ts";
import {
  CONFERENCE_END,
  CONFERENCE_JOIN,
  CONFERENCE_LEAVE,
  CONFERENCE_SPEAKER,
  CONFERENCE_START,
  QUEUE,
  RECORDING_COMPLETED,
  RECORDING_IN_PROGRESS,
  SIPREC,
  STREAM,
  TEXML_CALLBACK,
  TRANSCRIPTION,
} from "./texml-docs.ts";

/**
 * Every TeXML callback type, in FAMILY.md §2's order: REFER, AMD, SIPREC, stream, conference, queue,
 * transcription (before recording and call progress: it carries their fields too), recording, call
 * progress, AI gather, gather; then the HTTP request (only on its path) and the generic callback.
 *
 * @example
 * ```ts
 * TEXML_EVENT_TYPES[0].type; // "com.telnyx.texml.refer.status"
 * ```
 */
export const TEXML_EVENT_TYPES: readonly FormEventType[] = [
  REFER_STATUS,
  CALL_AMD,
  SIPREC,
  STREAM,
  CONFERENCE_START,
  CONFERENCE_END,
  CONFERENCE_JOIN,
  CONFERENCE_LEAVE,
  CONFERENCE_SPEAKER,
  QUEUE,
  TRANSCRIPTION,
  RECORDING_IN_PROGRESS,
  RECORDING_COMPLETED,
  CALL_INITIATED,
  CALL_RINGING,
  CALL_ANSWERED,
  CALL_COMPLETED,
  CALL_DTMF,
  AI_GATHER,
  GATHER,
  HTTP_REQUEST,
  TEXML_CALLBACK,
];
