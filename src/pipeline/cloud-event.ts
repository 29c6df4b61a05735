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
  /** A JSON webhook typed `com.telnyx.webhook`: its `event_type`, when it has one that is no type name (extension attribute). */
  readonly telnyxeventtype?: string;
  readonly datacontenttype: "application/json";
  /** A form callback's fields (strings; a name a generic callback repeats: an array of them), or a JSON webhook's whole body as received. */
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
  for (const [name, value] of event.repeated.length === 0 ? event.fields : groupRepeated(event.fields, event.repeated)) {
    json += `${first ? "" : ","}${jsonString(name)}:${typeof value === "string" ? jsonString(value) : `[${value.map(jsonString).join(",")}]`}`;
    first = false;
  }
  return { id, json: `${json}}}`, type, subject, texml: true };
}

/**
 * A generic callback's fields with each repeated name once, at its first place, holding all its
 * values in body order (a JSON object cannot hold a name twice: strict parsers refuse it, others keep
 * one value).
 */
function groupRepeated(fields: ReadonlyArray<readonly [string, string]>, repeated: readonly string[]): Array<readonly [string, string | string[]]> {
  const values = new Map<string, string[]>(repeated.map((name) => [name, []]));
  const grouped: Array<readonly [string, string | string[]]> = [];
  for (const [name, value] of fields) {
    const all = values.get(name);
    if (all === undefined) grouped.push([name, value]);
    else if (all.push(value) === 1) grouped.push([name, all]);
  }
  return grouped;
}

// What JSON.stringify would escape in a string: '"', '\\', control characters, and UTF-16 surrogates
// (a lone one is escaped; a pair is left to JSON.stringify too, rather than told apart here).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** JSON.stringify(text), without calling it for the usual text that needs no escaping. */
function jsonString(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** The `data` of a generic callback that repeats names: a null-prototype record, as FormBody.data. */
function formData(fields: ReadonlyArray<readonly [string, string]>, repeated: readonly string[]): Record<string, string | string[]> {
  const data: Record<string, string | string[]> = Object.create(null);
  for (const [name, value] of groupRepeated(fields, repeated)) data[name] = value;
  return data;
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
    data: event.media === "json" ? event.value : event.repeated.length === 0 ? event.data : formData(event.fields, event.repeated),
  };
}
