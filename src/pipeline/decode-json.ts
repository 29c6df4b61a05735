import type { JsonBody } from "../events/event-type.ts";
import { parseStrictJson } from "./parse-json.ts";
import { reject, type Rejection } from "./rejection.ts";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A JSON object (not an array, not null). */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Decodes a verified JSON webhook body: strict UTF-8, a strict JSON parse with limits (see
 * parseStrictJson), an object; then tells its envelope (FAMILY.md §3.1) and its `event_type`.
 *
 * - `{data: {event_type, id, occurred_at, payload, record_type}, meta}`: the usual envelope.
 * - `{id, event, occurred_at, version, data}`: the newer one (S7 SDK-only events); `event` is the type.
 * - anything else (10DLC's flat campaign update; a body with `event_type` at the top): `other`.
 *
 * An `event_type` (or `event`) that is present but not a string is refused: the body claims to be a
 * typed webhook and is not one. Without one, the body is a generic webhook, not an error.
 *
 * @param bytes The body, after its signature was checked.
 * @returns The JSON body, or an `invalid_event` rejection whose detail names the problem (`too_large`
 *   for a body over the JSON limit).
 * @example
 * ```ts
 * const body = decodeJsonBody(new TextEncoder().encode('{"data":{"event_type":"call.hangup","id":"x"}}'));
 * // { media: "json", envelope: "data", eventType: "call.hangup", … }
 * ```
 */
export function decodeJsonBody(bytes: Uint8Array): JsonBody | Rejection {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return reject("invalid_event", "the body is not valid UTF-8");
  }
  const parsed = parseStrictJson(text);
  // Over the JSON limit: 413, as a body over --body-limit is (not an invalid event: not kept).
  if (!parsed.ok) return reject(parsed.tooLarge ? "too_large" : "invalid_event", parsed.problem);
  const { value } = parsed;
  if (!isObject(value)) return reject("invalid_event", "the body is not a JSON object");

  const { data } = value;
  if (isObject(data) && ("event_type" in data || !("event" in value))) {
    const eventType = data.event_type;
    if (eventType !== undefined && typeof eventType !== "string") return reject("invalid_event", "data.event_type is not a string");
    return { media: "json", text: parsed.text, value, envelope: "data", record: data, eventType };
  }
  if ("event" in value && "version" in value) {
    const { event } = value;
    if (typeof event !== "string") return reject("invalid_event", "event is not a string");
    return { media: "json", text: parsed.text, value, envelope: "event", record: value, eventType: event };
  }
  const eventType = value.event_type;
  if (eventType !== undefined && typeof eventType !== "string") return reject("invalid_event", "event_type is not a string");
  return { media: "json", text: parsed.text, value, envelope: "other", record: value, eventType };
}
