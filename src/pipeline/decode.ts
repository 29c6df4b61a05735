import type { DecodedBody, FormBody, MediaType } from "../events/event-type.ts";
import { ACCEPTED_CONTENT_TYPES } from "../events/registry.ts";
import { decodeJsonBody } from "./decode-json.ts";
import { parseForm } from "./parse-form.ts";
import { reject, type Rejection } from "./rejection.ts";

/**
 * Decodes a verified body by its media type, once, into what recognition and validation read.
 *
 * @param media The delivery's media type (see acceptedMediaType).
 * @param bytes The body, after its signature was checked.
 * @returns The decoded body, or an `invalid_event` rejection (400) naming what is wrong. A form body
 *   cannot fail to decode (the WHATWG parser takes any bytes); a JSON body can (see decodeJsonBody).
 * @example
 * ```ts
 * const body = decodeBody("form", verified.body);
 * body.data.CallSid; // "v3:…"
 * ```
 */
export function decodeBody(media: "form", bytes: Uint8Array): FormBody;
export function decodeBody(media: MediaType, bytes: Uint8Array): DecodedBody | Rejection;
export function decodeBody(media: MediaType, bytes: Uint8Array): DecodedBody | Rejection {
  switch (media) {
    case "form":
      return indexFields(parseForm(bytes));
    case "json":
      return decodeJsonBody(bytes);
  }
}

/**
 * Indexes form fields by name: the first value of each name, and which names are repeated.
 *
 * @param fields Name/value pairs in body order, as parseForm gives them.
 * @returns The form body.
 * @example
 * ```ts
 * indexFields([["a", "1"], ["b", "2"], ["a", "3"]]); // data { a: "1", b: "2" }, repeated ["a"]
 * ```
 */
export function indexFields(fields: ReadonlyArray<readonly [string, string]>): FormBody {
  const data: Record<string, string> = Object.create(null);
  let repeated: string[] | undefined;
  for (const [name, value] of fields) {
    if (data[name] === undefined) data[name] = value;
    else if (repeated === undefined) repeated = [name];
    else if (!repeated.includes(name)) repeated.push(name);
  }
  return { media: "form", fields, data, repeated: repeated ?? NONE };
}

const NONE: readonly string[] = [];

/**
 * The refusal of a body whose `Content-Type` no registered event type uses.
 *
 * @returns An `unsupported_media_type` rejection (415) naming the accepted types.
 * @example
 * ```ts
 * if (acceptedMediaType(contentType) === undefined) return unsupportedMediaType();
 * ```
 */
export function unsupportedMediaType(): Rejection {
  const names = ACCEPTED_CONTENT_TYPES.join(", ");
  return reject("unsupported_media_type", `Content-Type must be ${ACCEPTED_CONTENT_TYPES.length === 1 ? names : `one of ${names}`}`);
}
