import type { DecodedBody, EventType, FormBody, MediaType, Recognition } from "./event-type.ts";
import { CONTENT_TYPES, mediaTypeOf } from "./media-type.ts";
import { TEXML_EVENT_TYPES } from "./texml-order.ts";
import { TEXML_CALLBACK } from "./texml-docs.ts";

/**
 * Every event type the relay knows, in the order they are tried when recognising a body (FAMILY.md
 * §2 gives that order for TeXML callbacks that share one URL). A new type is one entry here, in its
 * family's module (src/events/texml.ts, …), plus its tests.
 */
export const EVENT_TYPES: readonly EventType[] = [...TEXML_EVENT_TYPES];

/**
 * What a body that no entry recognises is taken for, by media type: a form
 * body is a generic TeXML callback, handed on, not refused.
 */
const UNRECOGNISED: Readonly<Record<MediaType, EventType>> = { form: TEXML_CALLBACK };

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
 * acceptedMediaType("application/json");                                // undefined, until JSON types are registered
 * ```
 */
export function acceptedMediaType(contentType: string | undefined): MediaType | undefined {
  return mediaTypeOf(contentType, ACCEPTED_MEDIA_TYPES);
}

/**
 * Tells which event type a decoded body is: the first entry of `types` of the body's media type
 * whose recognition holds (the order settles overlaps, as FAMILY.md §2 orders them: a REFER
 * callback is found at the first test), else the media type's generic fallback: FAMILY.md §2's
 * "ambiguous" bodies, which no field tells apart (a Gather that timed out, an HttpRequest action).
 * Entries recognised only by path (`byPathOnly`) are skipped.
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
  for (const type of types) {
    if (type.media === body.media && recognises(type.recognisedBy, body)) return type;
  }
  return UNRECOGNISED[body.media];
}

function recognises(recognition: Recognition, body: FormBody): boolean {
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
