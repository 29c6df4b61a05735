import type { ReferStatusEvent } from "./validate.ts";

/** The CloudEvents type of a TeXML REFER status callback. */
export const REFER_STATUS_TYPE = "com.telnyx.texml.refer.status";

/** A CloudEvents 1.0 event in structured JSON form. */
export interface CloudEvent {
  readonly specversion: "1.0";
  readonly id: string;
  readonly source: string;
  readonly type: string;
  readonly time: string;
  readonly subject: string;
  readonly datacontenttype: "application/json";
  readonly data: Readonly<Record<string, string>>;
}

/** An event ready for a sink: its id and its CloudEvent JSON text (one line, no newline). */
export interface EncodedEvent {
  readonly id: string;
  readonly json: string;
}

/**
 * The CloudEvent of a valid REFER status event as JSON text, encoded once for every sink.
 *
 * The same object as {@link toCloudEvent} gives, except that `data` is written in body order
 * (JSON.stringify of an object would put integer-like names such as "0" first).
 *
 * @param event The validated event.
 * @param id The stable event id (see `eventId`).
 * @returns The id and the JSON text.
 * @example
 * ```ts
 * const { json } = encodeCloudEvent(event, eventId(fields));
 * process.stdout.write(json + "\n");
 * ```
 */
export function encodeCloudEvent(event: ReferStatusEvent, id: string): EncodedEvent {
  // Written out field by field, in toCloudEvent's order: no envelope object to copy, stringify and
  // cut open per event (measured: the largest allocator among the relay's own functions).
  let json =
    `{"specversion":"1.0","id":${quote(id)},"source":${quote(source(event))},"type":"${REFER_STATUS_TYPE}",` +
    `"time":${quote(event.time)},"subject":${quote(event.callSid)},"datacontenttype":"application/json","data":{`;
  let first = true;
  for (const [name, value] of event.fields) {
    json += `${first ? "" : ","}${quote(name)}:${quote(value)}`;
    first = false;
  }
  return { id, json: `${json}}}` };
}

// What JSON.stringify would escape in a string: '"', '\\', control characters, and UTF-16 surrogates
// (a lone one is escaped; a pair is left to JSON.stringify too, rather than told apart here).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify(text), without calling it for the usual text that needs no escaping. */
function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** The CloudEvent `source`: the Telnyx account, as a URN. */
function source(event: ReferStatusEvent): string {
  return `urn:telnyx:account:${encodeURIComponent(event.accountSid)}`;
}

/**
 * Wraps a valid REFER status event in a CloudEvents 1.0 envelope.
 *
 * `source` names the Telnyx account (`urn:telnyx:account:<AccountSid>`), `subject` the call, `time`
 * is the event's own `Timestamp` in RFC 3339; `data` holds every field as received.
 *
 * @param event The validated event.
 * @param id The stable event id (see `eventId`).
 * @returns The CloudEvent.
 * @example
 * ```ts
 * const line = JSON.stringify(toCloudEvent(event, eventId(fields))) + "\n";
 * ```
 */
export function toCloudEvent(event: ReferStatusEvent, id: string): CloudEvent {
  return {
    specversion: "1.0",
    id,
    source: source(event),
    type: REFER_STATUS_TYPE,
    time: event.time,
    subject: event.callSid,
    datacontenttype: "application/json",
    data: event.data,
  };
}
