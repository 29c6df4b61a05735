import type { DecodedBody, EventType, FieldRule, FormEventType } from "../events/event-type.ts";
import { quoteReceived } from "../lib/quote-received.ts";
import { FIELD_FORMATS } from "./field-formats.ts";
import { reject, type Rejection } from "./rejection.ts";
import { validateJsonEvent, type ValidJsonEvent } from "./validate-json.ts";

export type { ValidJsonEvent } from "./validate-json.ts";

/** A valid event of any registered type: what the CloudEvent is made of. */
export type ValidEvent = ValidFormEvent | ValidJsonEvent;

/** A valid form callback. */
export interface ValidFormEvent {
  readonly media: "form";
  /** The CloudEvents `type` of its registry entry. */
  readonly type: string;
  /** The CloudEvents `source`: `urn:telnyx:account:<account>`, the account percent-encoded. */
  readonly source: string;
  /** The CloudEvents `subject`, when the type names one and it is not empty. */
  readonly subject: string | undefined;
  /** The type's time field normalised to RFC 3339, when the type names one and it is not empty. */
  readonly time: string | undefined;
  /**
   * Every field as received: original names, decoded string values, unknown fields included
   * (Telnyx adds fields over time). A null-prototype record: `__proto__` is just a name. Like any
   * JavaScript object it lists integer-like names ("0", "1") first; {@link fields} keeps body order.
   */
  readonly data: Readonly<Record<string, string>>;
  /** The same fields in body order, as received (each name once, but on a generic callback: see {@link repeated}). */
  readonly fields: ReadonlyArray<readonly [string, string]>;
  /**
   * Names given more than once, in body order: only ever on a generic callback (a known kind refuses
   * them as ambiguous). The CloudEvent's `data` holds each one's values as an array.
   */
  readonly repeated: readonly string[];
}

/** The outcome of a successful validation. */
export interface Validated {
  readonly ok: true;
  readonly event: ValidEvent;
}

/** A field with a value rule, read once from its table. */
interface CheckedField {
  readonly name: string;
  readonly rule: FieldRule;
  readonly values: ReadonlySet<string> | undefined;
}

/** A field table read once into the two passes the validator makes. */
interface CompiledTable {
  readonly required: readonly string[];
  readonly checked: readonly CheckedField[];
}

const compiled = new WeakMap<FormEventType, CompiledTable>();
// The type validated last: most deliveries are of the same type as the one before.
let lastType: FormEventType | undefined;
let lastTable: CompiledTable | undefined;

function compile(type: FormEventType): CompiledTable {
  if (type === lastType) return lastTable as CompiledTable;
  let table = compiled.get(type);
  if (table === undefined) {
    const rules = Object.entries(type.fields) as Array<[string, FieldRule]>;
    table = {
      required: rules.filter(([, rule]) => rule.required).map(([name]) => name),
      checked: rules.filter(([, rule]) => rule.oneOf || rule.format).map(([name, rule]) => ({ name, rule, values: rule.oneOf && new Set(rule.oneOf) })),
    };
    compiled.set(type, table);
  }
  lastType = type;
  lastTable = table;
  return table;
}

/**
 * Checks a decoded body against an event type's field table (a JSON webhook: see validateJsonEvent).
 *
 * A name given more than once is ambiguous: rejected, except on a generic callback (the type's
 * `generic`), which is handed on with each such name's values (see ValidFormEvent.repeated). Then
 * every required field must be present and
 * not empty; then each field with a rule, when present and not empty (an optional field may be
 * empty), must be one of its values and of its format (date-times are normalised with
 * normalizeDateTime). Fields not in the table are kept unchecked: Telnyx adds fields. Every problem
 * is named, one per field, in that order, in one line.
 *
 * @param type The registry entry (see recogniseEvent).
 * @param body The decoded body (see decodeBody).
 * @returns The event, or an `invalid_event` rejection listing what is wrong.
 * @example
 * ```ts
 * const body = decodeBody("form", verified.body);
 * const result = validateEvent(recogniseEvent(body), body);
 * if (result.ok) console.log(result.event.type, result.event.subject);
 * ```
 */
export function validateEvent(type: FormEventType, body: DecodedBody): { readonly ok: true; readonly event: ValidFormEvent } | Rejection;
export function validateEvent(type: EventType, body: DecodedBody): Validated | Rejection;
export function validateEvent(type: EventType, body: DecodedBody): Validated | Rejection {
  if (type.media === "json" || body.media === "json") {
    if (type.media !== "json" || body.media !== "json") return reject("invalid_event", `the body is ${body.media}, not ${type.media}`);
    return validateJsonEvent(type, body);
  }
  const { required, checked } = compile(type);
  const { data } = body;
  const problems: string[] = [];
  // A known kind's field given twice is ambiguous; a generic callback is handed on as it came.
  if (!type.generic) for (const name of body.repeated) problems.push(`${name} is repeated`);

  for (const name of required) {
    const value = data[name];
    if (value === undefined) problems.push(`${name} is missing`);
    else if (value === "") problems.push(`${name} is empty`);
  }

  let time: string | undefined;
  for (const { name, rule, values } of checked) {
    const value = data[name];
    if (!value) continue; // absent or empty: a required one was reported above
    if (values !== undefined && !values.has(value)) {
      problems.push(`${name} ${quoteReceived(value)} is not one of ${(rule.oneOf as readonly string[]).join(", ")}`);
    } else if (rule.format !== undefined) {
      const format = FIELD_FORMATS[rule.format];
      const normal = format.check(value);
      if (normal === undefined) problems.push(`${name} ${quoteReceived(value)} is not ${format.description}`);
      else if (name === type.time) time = normal;
    }
  }

  if (problems.length > 0) return reject("invalid_event", problems.join("; "));
  return {
    ok: true,
    event: {
      media: "form",
      type: type.type,
      source: `urn:telnyx:account:${encodeURIComponent(data[type.source] as string)}`,
      subject: (type.subject !== undefined && data[type.subject]) || undefined,
      time,
      data,
      fields: body.fields,
      repeated: body.repeated,
    },
  };
}
