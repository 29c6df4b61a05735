import type { ValidEvent } from "./validate.ts";

/** A CloudEvents 1.0 event in structured JSON form. */
export interface CloudEvent {
  readonly specversion: "1.0";
  readonly id: string;
  readonly source: string;
  readonly type: string;
  /** Absent when the event type has no time field, or it was empty. */
  readonly time?: string;
  /** Absent when the event type has no subject field, or it was empty. */
  readonly subject?: string;
  /** A JSON webhook of a type the relay does not know: its `event_type`, when it has one (extension attribute). */
  readonly telnyxeventtype?: string;
  readonly datacontenttype: "application/json";
  /** A form callback's fields (strings), or a JSON webhook's whole body as received. */
  readonly data: Readonly<Record<string, unknown>>;
}

/** An event ready for a sink: its id, its CloudEvent JSON text (one line, no newline), its type and subject. */
export interface EncodedEvent {
  readonly id: string;
  readonly json: string;
  /**
   * The CloudEvents `type`, for labelling (metrics, logs, routing). The relay always sets it;
   * optional only because events read back from a worker frame or a spool record do not carry it yet.
   */
  readonly type?: string;
  /** The CloudEvents `subject`, when the event has one. */
  readonly subject?: string | undefined;
  /**
   * A TeXML callback: Telnyx may act on the answer to it (a TeXML document) to go on with the call,
   * so in synchronous forwarding every delivery of it reaches the downstream (see createHandOn).
   */
  readonly texml?: true;
}

/**
 * The CloudEvent of a valid event as JSON text, encoded once for every sink.
 *
 * The same object as {@link toCloudEvent} gives, byte for byte as JSON.stringify would write it,
 * except that `data` is written in body order (JSON.stringify of an object would put integer-like
 * names such as "0" first).
 *
 * @param event The validated event (see validateEvent).
 * @param id The stable event id (see deriveEventId).
 * @returns The id, the JSON text, the type and the subject (and `texml` for a TeXML callback).
 * @example
 * ```ts
 * const { json } = encodeCloudEvent(event, deriveEventId(type, body, verified));
 * process.stdout.write(json + "\n");
 * ```
 */
export function encodeCloudEvent(event: ValidEvent, id: string): EncodedEvent {
  // Written out field by field, in toCloudEvent's order: no envelope object to copy, stringify and
  // cut open per event (measured: the largest allocator among the relay's own functions).
  const { type, subject, time } = event;
  let json = `{"specversion":"1.0","id":${jsonString(id)},"source":${jsonString(event.source)},"type":${jsonString(type)}`;
  if (time !== undefined) json += `,"time":${jsonString(time)}`;
  if (subject !== undefined) json += `,"subject":${jsonString(subject)}`;
  if (event.media === "json") {
    if (event.eventType !== undefined) json += `,"telnyxeventtype":${jsonString(event.eventType)}`;
    // The body's own text, known valid and on one line: its key order kept, nothing re-serialised.
    return { id, json: `${json},"datacontenttype":"application/json","data":${event.text}}`, type, subject };
  }
  json += `,"datacontenttype":"application/json","data":{`;
  let first = true;
  for (const [name, value] of event.fields) {
    json += `${first ? "" : ","}${jsonString(name)}:${jsonString(value)}`;
    first = false;
  }
  return { id, json: `${json}}}`, type, subject, texml: true };
}

// What JSON.stringify would escape in a string: '"', '\\', control characters, and UTF-16 surrogates
// (a lone one is escaped; a pair is left to JSON.stringify too, rather than told apart here).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify(text), without calling it for the usual text that needs no escaping. */
function jsonString(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/**
 * Wraps a valid event in a CloudEvents 1.0 envelope.
 *
 * `source` names the Telnyx account (`urn:telnyx:account:<account>`), `subject` the event's subject
 * field (for a TeXML callback, the call), `time` is the event's own time field in RFC 3339; `data`
 * holds every field as received (a JSON webhook: its whole body).
 *
 * @param event The validated event.
 * @param id The stable event id (see deriveEventId).
 * @returns The CloudEvent.
 * @example
 * ```ts
 * const line = JSON.stringify(toCloudEvent(event, id)) + "\n";
 * ```
 */
export function toCloudEvent(event: ValidEvent, id: string): CloudEvent {
  const { type, subject, time } = event;
  return {
    specversion: "1.0",
    id,
    source: event.source,
    type,
    ...(time === undefined ? {} : { time }),
    ...(subject === undefined ? {} : { subject }),
    ...(event.media === "json" && event.eventType !== undefined ? { telnyxeventtype: event.eventType } : {}),
    datacontenttype: "application/json",
    data: event.media === "json" ? event.value : event.data,
  };
}
