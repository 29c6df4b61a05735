import type { DecodedBody, EventType, FormBody, FormEventType, JsonEventType, MediaType, Recognition } from "./event-type.ts";
import { isWellFormedEventType, JSON_EVENT_TYPES, JSON_GENERIC, unknownJsonEventType } from "./json.ts";
import { CONTENT_TYPES, mediaTypeOf } from "./media-type.ts";
import { TEXML_EVENT_TYPES } from "./texml-order.ts";
import { TEXML_CALLBACK } from "./texml-docs.ts";

/**
 * Every event type the relay knows, in the order they are tried when recognising a body (FAMILY.md
 * §2 gives that order for TeXML callbacks that share one URL). A new type is one entry here, in its
 * family's module (src/events/texml.ts, …), plus its tests.
 */
export const EVENT_TYPES: readonly EventType[] = [...TEXML_EVENT_TYPES, ...JSON_EVENT_TYPES, JSON_GENERIC];

/**
 * What a body that no entry recognises is taken for, by media type: a form
 * body is a generic TeXML callback, handed on, not refused.
 */
const UNRECOGNISED: Readonly<Record<MediaType, EventType>> = { form: TEXML_CALLBACK, json: JSON_GENERIC };

// JSON webhooks are recognised by `data.event_type`: one map lookup, not a walk through ~70 entries.
const JSON_BY_EVENT_TYPE = new Map<string, JsonEventType>();
for (const type of EVENT_TYPES) {
  if (type.media === "json" && type.eventType !== undefined) JSON_BY_EVENT_TYPE.set(type.eventType, type);
}

/** The media types some registered type uses: a body of any other type is answered 415. */
export const ACCEPTED_MEDIA_TYPES: readonly MediaType[] = [...new Set(EVENT_TYPES.map((type) => type.media))];

/** Their Content-Type names, e.g. for an `Accept-Post` header. */
export const ACCEPTED_CONTENT_TYPES: readonly string[] = ACCEPTED_MEDIA_TYPES.map((media) => CONTENT_TYPES[media]);

/**
 * The media type of a delivery, if the relay accepts it: the `Content-Type` names a media type
 * that some registered event type uses.
 *
 * @param contentType The `Content-Type` header as received.
 * @returns The media type, or undefined (answer 415).
 * @example
 * ```ts
 * acceptedMediaType("application/x-www-form-urlencoded; charset=utf-8"); // "form"
 * acceptedMediaType("application/json");                                // "json"
 * acceptedMediaType("text/plain");                                      // undefined
 * ```
 */
export function acceptedMediaType(contentType: string | undefined): MediaType | undefined {
  return mediaTypeOf(contentType, ACCEPTED_MEDIA_TYPES);
}

/**
 * Tells which event type a decoded body is. A form body: the first entry of `types` whose
 * recognition holds and whose required fields are all present and not empty (the order settles
 * overlaps, as FAMILY.md §2 orders them: a REFER callback is found at the first test), else the
 * generic TeXML callback: FAMILY.md §2's "ambiguous" bodies, which no field tells apart (a Gather
 * that timed out, an HttpRequest action), and look-alikes that lack what a kind requires (an
 * `AnsweredBy` alone is not an AMD result). So recognition never picks a kind whose validation would
 * refuse the body for a missing field: only a kind's values can make it a 400. Entries recognised
 * only by path (`byPathOnly`) are skipped. A JSON body: the entry of its `data.event_type`; else,
 * when that is well-formed (see isWellFormedEventType), a generic entry typed
 * `com.telnyx.<event_type>` all the same; else the generic `com.telnyx.webhook`.
 *
 * @param body The decoded body (see decodeBody).
 * @param types The entries to try, in order; the registry's by default.
 * @returns The event type to validate the body against.
 * @example
 * ```ts
 * const type = recogniseEvent(decodeBody("form", verified.body));
 * type.type; // "com.telnyx.texml.refer.status"
 * ```
 */
export function recogniseEvent(body: DecodedBody, types: readonly EventType[] = EVENT_TYPES): EventType {
  if (body.media === "json") {
    const { eventType } = body;
    if (eventType === undefined) return UNRECOGNISED.json;
    // The newer `{id, event, …}` envelope is typed by `event`, but no entry describes its shape yet.
    const known = body.envelope === "event" ? undefined : types === EVENT_TYPES ? JSON_BY_EVENT_TYPE.get(eventType) : types.find((type) => type.media === "json" && type.eventType === eventType);
    if (known !== undefined) return known;
    // Typed by its name all the same, so that its type does not change when a release learns it.
    return isWellFormedEventType(eventType) ? unknownJsonEventType(eventType) : UNRECOGNISED.json;
  }
  for (const type of types) {
    if (type.media === "form" && !type.generic && matchesRecognition(type.recognisedBy, body) && hasRequiredFields(type, body)) return type;
  }
  return UNRECOGNISED[body.media];
}

const requiredNames = new WeakMap<FormEventType, readonly string[]>();

/** Every field the type requires is present and not empty (what validateEvent checks first). */
function hasRequiredFields(type: FormEventType, body: FormBody): boolean {
  let names = requiredNames.get(type);
  if (names === undefined) {
    names = Object.keys(type.fields).filter((name) => type.fields[name]?.required);
    requiredNames.set(type, names);
  }
  for (const name of names) if (!body.data[name]) return false;
  return true;
}

/**
 * Whether a form body has what a type's recognition names (its fields only, not its required
 * fields: see recogniseEvent). On a TeXML kind's own path this picks among the kind's callbacks.
 *
 * @param recognition The type's `recognisedBy`.
 * @param body The decoded form body.
 * @returns True when every condition holds (never for `byPathOnly`).
 * @example
 * ```ts
 * matchesRecognition({ present: ["ReferCallStatus"] }, indexFields([["ReferCallStatus", "busy"]])); // true
 * ```
 */
export function matchesRecognition(recognition: Recognition, body: FormBody): boolean {
  const { data } = body;
  const { present, anyPresent, values } = recognition;
  if (recognition.byPathOnly) return false;
  // Loops rather than every/some: this runs for every delivery, before validation.
  if (present !== undefined) {
    for (const name of present) if (data[name] === undefined) return false;
  }
  if (anyPresent !== undefined) {
    let found = false;
    for (const name of anyPresent) if (data[name] !== undefined) found = true;
    if (!found) return false;
  }
  if (values !== undefined) {
    for (const name in values) {
      const value = data[name];
      if (value === undefined || !values[name]?.includes(value)) return false;
    }
  }
  return true;
}
