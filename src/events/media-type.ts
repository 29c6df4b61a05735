import type { MediaType } from "./event-type.ts";

/** The Content-Type (essence, lower case) of each media type. */
export const CONTENT_TYPES: Readonly<Record<MediaType, string>> = {
  form: "application/x-www-form-urlencoded",
  json: "application/json",
};

/**
 * The media type a `Content-Type` header names, among `accepted`, or undefined. Parameters such as
 * `charset` are ignored and the type is compared without regard to case or surrounding spaces.
 *
 * @param contentType The header as received (undefined when absent).
 * @param accepted The media types to look for.
 * @returns The media type, or undefined when the header names none of them.
 * @example
 * ```ts
 * mediaTypeOf("Application/X-WWW-Form-Urlencoded; charset=UTF-8", ["form"]); // "form"
 * mediaTypeOf("application/json", ["form"]);                               // undefined
 * ```
 */
export function mediaTypeOf(contentType: string | undefined, accepted: readonly MediaType[]): MediaType | undefined {
  if (contentType === undefined) return undefined;
  // The header as Telnyx sends it, compared as is before anything is sliced or lower-cased.
  for (const media of accepted) if (CONTENT_TYPES[media] === contentType) return media;
  const end = contentType.indexOf(";");
  const essence = (end === -1 ? contentType : contentType.slice(0, end)).trim().toLowerCase();
  for (const media of accepted) if (CONTENT_TYPES[media] === essence) return media;
  return undefined;
}
