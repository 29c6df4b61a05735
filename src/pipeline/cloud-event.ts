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
  const { data: _data, ...envelope } = toCloudEvent(event, id);
  let data = "";
  for (const [name, value] of event.fields) data += `${data === "" ? "" : ","}${JSON.stringify(name)}:${JSON.stringify(value)}`;
  return { id, json: `${JSON.stringify(envelope).slice(0, -1)},"data":{${data}}}` };
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
    source: `urn:telnyx:account:${encodeURIComponent(event.accountSid)}`,
    type: REFER_STATUS_TYPE,
    time: event.time,
    subject: event.callSid,
    datacontenttype: "application/json",
    data: event.data,
  };
}
