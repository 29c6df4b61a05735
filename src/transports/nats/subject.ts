// The subject an event is published to: the configured template with `{type}` replaced by the
// event type, made a valid NATS subject.
//
// NATS subjects are tokens separated by dots; a token is at least one character and holds no
// whitespace; `*` and `>` are wildcards (not allowed when publishing). Everything else is allowed,
// but the NATS documentation recommends letters, digits, `-` and `_`. A Telnyx type is dotted
// (`com.telnyx.call.hangup`): its dots stay token separators, so a consumer can subscribe to
// `telnyx.com.telnyx.call.>`. Any character other than ASCII letters, digits, `-` and `_` in a
// token becomes `_`, and an empty token (two dots in a row, a dot at either end) becomes `_`.

/** The event-type placeholder of a subject template. */
export const TYPE_PLACEHOLDER = "{type}";

/**
 * Makes a Telnyx event type safe to place in a subject (see the module comment).
 *
 * @param type The event type (`com.telnyx.call.hangup`); empty: `unknown`.
 * @returns The dotted tokens, each made of ASCII letters, digits, `-` and `_` only.
 * @example
 * ```ts
 * subjectTokens("com.telnyx.call hangup*"); // "com.telnyx.call_hangup_"
 * ```
 */
export function subjectTokens(type: string): string {
  if (type === "") return "unknown";
  return type
    .split(".")
    .map((token) => (token === "" ? "_" : token.replace(/[^A-Za-z0-9_-]/g, "_")))
    .join(".");
}

/**
 * The subject of one event.
 *
 * @param template The configured subject (checked at start-up), `{type}` possibly in it.
 * @param type The event type.
 * @returns The subject.
 * @example
 * ```ts
 * subjectFor("telnyx.{type}", "com.telnyx.texml.refer.status"); // "telnyx.com.telnyx.texml.refer.status"
 * ```
 */
export function subjectFor(template: string, type: string): string {
  return template.includes(TYPE_PLACEHOLDER) ? template.split(TYPE_PLACEHOLDER).join(subjectTokens(type)) : template;
}

/**
 * The type of an outgoing event: its `type` field when it has one, else the `"type"` of its
 * CloudEvent JSON (an event recovered from the spool has only its id and JSON).
 *
 * @param event The event.
 * @returns The type, or "" when there is none.
 * @example
 * ```ts
 * eventType({ id: "1", json: '{"type":"com.telnyx.call.hangup"}' }); // "com.telnyx.call.hangup"
 * ```
 */
export function eventType(event: { readonly json: string; readonly type?: unknown }): string {
  if (typeof event.type === "string") return event.type;
  try {
    const parsed = JSON.parse(event.json) as { type?: unknown };
    return typeof parsed.type === "string" ? parsed.type : "";
  } catch {
    return "";
  }
}
