// The TeXML per-kind paths: what a user configures in the TeXML attributes (`statusCallback=`,
// `recordingStatusCallback=`, `action=`, `waitUrl=`) so that the relay need not guess a callback's
// kind from its fields. They hang below `--path`: `<path>/texml/<kind>`. On such a path the body is
// validated as that kind; a kind with several callbacks (call status, recording, conference) tells
// them apart by their own discriminating field, and a body that is none of them but has what the
// kind's callbacks all require is a generic callback (a status Telnyx added since, like `analyzed`).
import type { FieldRule, FormBody, FormEventType } from "./event-type.ts";
import { matchesRecognition } from "./registry.ts";
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

/** The last path segment of each TeXML kind, and the callback types it takes. */
export const TEXML_PATHS = {
  "call-status": [CALL_INITIATED, CALL_RINGING, CALL_ANSWERED, CALL_COMPLETED, CALL_DTMF],
  amd: [CALL_AMD],
  gather: [GATHER],
  "ai-gather": [AI_GATHER],
  "http-request": [HTTP_REQUEST],
  "refer-status": [REFER_STATUS],
  recording: [RECORDING_IN_PROGRESS, RECORDING_COMPLETED],
  transcription: [TRANSCRIPTION],
  conference: [CONFERENCE_START, CONFERENCE_END, CONFERENCE_JOIN, CONFERENCE_LEAVE, CONFERENCE_SPEAKER],
  queue: [QUEUE],
  stream: [STREAM],
  siprec: [SIPREC],
} as const satisfies Readonly<Record<string, readonly FormEventType[]>>;

/** One of the TeXML per-kind path segments. */
export type TexmlKind = keyof typeof TEXML_PATHS;

/** The kinds, in the table's order. */
export const TEXML_KINDS = Object.keys(TEXML_PATHS) as TexmlKind[];

/**
 * The generic entry of a kind with several callbacks: the fields all of them require, still
 * required; whatever else is kept unchecked.
 */
function familyFallback(members: readonly FormEventType[]): FormEventType {
  const fields: Record<string, FieldRule> = {};
  for (const name in members[0]?.fields) {
    if (members.every((member) => member.fields[name]?.required)) fields[name] = { required: true };
  }
  return { ...TEXML_CALLBACK, documentedBy: `${TEXML_CALLBACK.documentedBy}; on its kind's path, what all its callbacks require`, fields };
}

const FALLBACKS = new Map<TexmlKind, FormEventType>(
  TEXML_KINDS.filter((kind) => TEXML_PATHS[kind].length > 1).map((kind) => [kind, familyFallback(TEXML_PATHS[kind])]),
);

/**
 * The type a body POSTed to a kind's own path is validated as: the kind's only type; or, for a kind
 * with several, the first whose recognition its fields match (FAMILY.md §2, among the kind's own),
 * else the kind's generic entry (the fields all its callbacks require, handed on as
 * `com.telnyx.texml.callback`). Unlike the general path (recogniseEvent), a member is picked by its
 * discriminating fields alone: the path says what the body is, so a missing required field is a 400.
 *
 * @param body The decoded form body.
 * @param kind The path's kind.
 * @returns The type to validate the body against.
 * @example
 * ```ts
 * recogniseOnPath(decodeBody("form", bytes) as FormBody, "refer-status"); // REFER_STATUS, whatever the fields
 * ```
 */
export function recogniseOnPath(body: FormBody, kind: TexmlKind): FormEventType {
  const members: readonly FormEventType[] = TEXML_PATHS[kind];
  if (members.length === 1) return members[0] as FormEventType;
  return members.find((member) => matchesRecognition(member.recognisedBy, body)) ?? (FALLBACKS.get(kind) as FormEventType);
}
