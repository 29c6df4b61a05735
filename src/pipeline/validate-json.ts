import type { JsonBody, JsonEventType, JsonFieldRule, JsonKind } from "../events/event-type.ts";
import { quoteReceived } from "../lib/quote-received.ts";
import { wellFormed } from "../lib/well-formed.ts";
import { TELNYX_ID } from "./event-id.ts";
import { normalizeDateTime } from "./normalize-date-time.ts";
import { reject, type Rejection } from "./rejection.ts";

/** A valid JSON webhook: what its CloudEvent is made of. */
export interface ValidJsonEvent {
  readonly media: "json";
  /** The CloudEvents `type` of its registry entry. */
  readonly type: string;
  /** `urn:telnyx:connection:<payload.connection_id>` when the payload names one, else `urn:telnyx:webhook`. */
  readonly source: string;
  readonly subject: string | undefined;
  /** `occurred_at` normalised to RFC 3339, when there is a valid one. */
  readonly time: string | undefined;
  /** For `com.telnyx.webhook`: the body's `event_type`, which is no type name (CloudEvents extension `telnyxeventtype`). */
  readonly eventType: string | undefined;
  /** The body as received, valid JSON on one line: the CloudEvent's `data`, embedded as is. */
  readonly text: string;
  /** The body, parsed. */
  readonly value: Readonly<Record<string, unknown>>;
}


function kindOf(value: unknown): JsonKind {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value as JsonKind;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The problem with one field, or undefined: `path` names it (`data.payload.custom_headers[1].value`).
 * A nested object's members and an array's items are checked by their own rules, as the payload's
 * fields are; an array reports its first bad item only, so a message stays one short line.
 */
function fieldProblem(path: string, rule: JsonFieldRule, value: unknown): string | undefined {
  if (value === undefined || value === null) return rule.required ? `${path} is missing` : undefined;
  const kind = kindOf(value);
  if (rule.type !== undefined && !rule.type.includes(kind) && !(kind === "integer" && rule.type.includes("number"))) {
    return `${path} is ${kind === "integer" ? "a number" : `a${kind === "array" || kind === "object" ? "n" : ""} ${kind}`}, not ${rule.type.join(" or ")}`;
  }
  if (typeof value === "string") {
    if (rule.oneOf !== undefined && !rule.oneOf.includes(value)) return `${path} ${quoteReceived(value)} is not one of ${rule.oneOf.join(", ")}`;
    if (rule.format === "date-time" && normalizeDateTime(value) === undefined) return `${path} ${quoteReceived(value)} is not a valid date-time`;
    return undefined;
  }
  if (rule.properties !== undefined && isObject(value)) return membersProblem(path, rule.properties, value);
  if (rule.items !== undefined && Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const problem = fieldProblem(`${path}[${i}]`, rule.items, value[i]);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

/** The problems of an object's members with a rule, joined, or undefined. */
function membersProblem(path: string, rules: Readonly<Record<string, JsonFieldRule>>, object: Readonly<Record<string, unknown>>): string | undefined {
  let problems: string | undefined;
  for (const name in rules) {
    const problem = fieldProblem(`${path}.${name}`, rules[name] as JsonFieldRule, Object.hasOwn(object, name) ? object[name] : undefined);
    if (problem !== undefined) problems = problems === undefined ? problem : `${problems}; ${problem}`;
  }
  return problems;
}

/**
 * Checks a JSON webhook against its entry. A known type: the envelope (`data.record_type` "event",
 * `data.event_type`, `data.id`, `data.occurred_at` where the spec has it, `data.payload` an object,
 * `meta` an object when present), then each payload field with a rule (required, JSON type, enum,
 * date-time; null counts as absent), and the same of each nested object's members and array's
 * items. A generic entry: nothing beyond being a JSON object (it was decoded as one); its
 * `occurred_at` becomes `time` when it is a valid date-time. Every problem is named, in one line.
 *
 * @param type The registry entry (see recogniseEvent).
 * @param body The decoded body (see decodeJsonBody).
 * @returns The event, or an `invalid_event` rejection listing what is wrong.
 * @example
 * ```ts
 * const result = validateJsonEvent(type, body);
 * if (result.ok) result.event.subject; // "v3:…" (the call_control_id)
 * ```
 */
export function validateJsonEvent(type: JsonEventType, body: JsonBody): { ok: true; event: ValidJsonEvent } | Rejection {
  const { record } = body;
  const payload = isObject(record.payload) ? record.payload : undefined;
  const occurredAt = typeof record.occurred_at === "string" ? normalizeDateTime(record.occurred_at) : undefined;
  const problems: string[] = [];
  if (!type.generic) {
    if (record.record_type !== "event") problems.push(`data.record_type ${describe(record.record_type)} is not event`);
    if (typeof record.id !== "string" || !TELNYX_ID.test(record.id)) problems.push(`data.id ${describe(record.id)} is not an id`);
    if (record.occurred_at === undefined ? type.occurredAt : occurredAt === undefined) problems.push(`data.occurred_at ${describe(record.occurred_at)} is not a valid date-time`);
    if (body.value.meta !== undefined && !isObject(body.value.meta)) problems.push("meta is not an object");
    if (payload === undefined) problems.push(`data.payload ${record.payload === undefined ? "is missing" : "is not an object"}`);
    else {
      const problem = membersProblem("data.payload", type.payload, payload);
      if (problem !== undefined) problems.push(problem);
    }
  }
  if (problems.length > 0) return reject("invalid_event", problems.join("; "));
  const subject = type.subject === undefined ? undefined : payload?.[type.subject];
  const connection = payload?.connection_id;
  // Every attribute taken from the body is made well-formed: a JSON escape can make a lone surrogate,
  // on which encodeURIComponent throws and which strict JSON parsers refuse in the line. `data` is
  // the body's own text, escape and all.
  return {
    ok: true,
    event: {
      media: "json",
      type: type.type,
      source: typeof connection === "string" && connection !== "" ? `urn:telnyx:connection:${encodeURIComponent(wellFormed(connection))}` : "urn:telnyx:webhook",
      subject: typeof subject === "string" && subject !== "" ? wellFormed(subject) : undefined,
      time: occurredAt,
      // Only where the type does not say it already (com.telnyx.webhook).
      eventType: type.generic && type.eventType === undefined && body.eventType !== undefined ? wellFormed(body.eventType) : undefined,
      text: body.text,
      value: body.value,
    },
  };
}

/** A received value in a problem: quoted when a string, else its JSON type. */
function describe(value: unknown): string {
  if (value === undefined) return "(missing)";
  return typeof value === "string" ? quoteReceived(value) : `(${kindOf(value)})`;
}
