/**
 * What an event type is, as data: the shapes of the registry's entries (src/events/registry.ts) and
 * of a decoded body. Types only; the code that reads these tables is in src/pipeline/ (decode,
 * validate, event-id, cloud-event), so that this folder imports nothing from there.
 *
 * @module
 */

/**
 * How a body is encoded: one name per media type the relay can decode. Each has its Content-Type
 * name (src/events/media-type.ts) and its decoder (src/pipeline/decode.ts).
 */
export type MediaType = "form" | "json";

/**
 * A check on a field's value, by name (the implementations are in src/pipeline/field-formats.ts):
 * `date-time` (RFC 3339 or RFC 2822 with a zone, see normalizeDateTime), `sip-code` (100–699),
 * `integer` (decimal digits with an optional minus sign: form values are text on the wire).
 */
export type FieldFormat = "date-time" | "sip-code" | "integer";

/** What one field of a form callback must be. A field with no rule of its own is accepted as it is. */
export interface FieldRule {
  /** Present and not empty. */
  readonly required?: true;
  /** One of these values, when present and not empty. */
  readonly oneOf?: readonly string[];
  /** Of this format, when present and not empty. */
  readonly format?: FieldFormat;
}

/**
 * How a form callback is told apart from the others sent to the same URL: every condition given
 * must hold, and on the general path the type's required fields must be there too (recogniseEvent),
 * so that a body is never taken for a kind that would refuse it for a missing field. The registry
 * tries its entries in order (FAMILY.md §2 gives the order for TeXML).
 */
export interface Recognition {
  /** Each of these fields is present. */
  readonly present?: readonly string[];
  /** At least one of these fields is present. */
  readonly anyPresent?: readonly string[];
  /** Each of these fields is present with one of the listed values. */
  readonly values?: Readonly<Record<string, readonly string[]>>;
  /**
   * Never recognised by its fields, only on its own path (a TeXML per-kind path, see
   * src/events/texml-paths.ts): for a callback whose fields cannot tell it apart.
   */
  readonly byPathOnly?: true;
}

/**
 * How a form callback's id is derived (src/pipeline/event-id.ts; the rule and its reasons are in
 * docs/events.md, "Event ids"). TeXML callbacks carry no id of their own, and the body alone cannot
 * always tell a redelivery from a second callback:
 * - `{ content: [...] }`: when one of these fields (a time or a sequence number Telnyx sets anew for
 *   every callback) is present and not empty, the body identifies the callback: the id is a hash of
 *   the type and the raw body, the same for every redelivery. Otherwise as `delivery`.
 * - `delivery`: the body can legitimately repeat (a second `<Gather>` answered the same way): the id
 *   is a hash of the type, the per-kind path, the `telnyx-timestamp` header and the raw body, so only
 *   a byte-identical copy of one signed delivery shares it.
 */
export type FormIdRule<Name extends string = string> = "delivery" | { readonly content: readonly Name[] };

/**
 * How an event's id is derived: a form callback's {@link FormIdRule}, or `telnyx-id` for a JSON
 * webhook: Telnyx's own id (`data.id`, or the top-level `id` of the newer `{id, event, …}`
 * envelope), the same on every retry; a body with neither is identified as its `delivery`.
 */
export type EventIdRule = FormIdRule | "telnyx-id";

/**
 * One form-encoded callback type: its table of fields and which of them give the CloudEvent's
 * `time`, `source` and `subject`. `Name` is the union of the table's field names, so naming a field
 * that is not in the table fails type-checking (see {@link defineFormEventType}).
 */
export interface FormEventType<Name extends string = string> {
  readonly media: "form";
  /** The fallback for form bodies no other entry recognises (not tried in order with the others; counted and warned about by the relay core). */
  readonly generic?: true;
  /** The CloudEvents `type`, e.g. `com.telnyx.texml.refer.status`. */
  readonly type: string;
  /** Where the field table comes from (spec file and webhook name, or docs page). */
  readonly documentedBy: string;
  readonly recognisedBy: Recognition;
  /** The fields the relay checks, in the order their problems are reported. Other fields are kept unchecked. */
  readonly fields: Readonly<Record<Name, FieldRule>>;
  /** The field naming the Telnyx account: CloudEvents `source` is `urn:telnyx:account:<value>`. Must be required. */
  readonly source: NoInfer<Name>;
  /** The field that becomes CloudEvents `subject` (omitted when that field is absent or empty). */
  readonly subject?: NoInfer<Name>;
  /** The `date-time` field that becomes CloudEvents `time`, normalised (omitted when absent or empty). */
  readonly time?: NoInfer<Name>;
  readonly id: FormIdRule<NoInfer<Name>>;
}

/** The JSON types a schema can give a value (`integer`: a number with no fraction). */
export type JsonKind = "string" | "integer" | "number" | "boolean" | "object" | "array" | "null";

/**
 * What one payload field of a JSON webhook must be, when present and not null; the same for the
 * members of a nested object and the items of an array, at any depth (spec3.json's
 * `CustomSipHeader` requires its `name` and `value`).
 */
export interface JsonFieldRule {
  /** Present and not null (JSON Schema's `required`; the relay takes null for absent throughout). */
  readonly required?: true;
  /** One of these JSON types. */
  readonly type?: readonly JsonKind[];
  /** One of these values (a string). */
  readonly oneOf?: readonly string[];
  /** A date-time string (see normalizeDateTime). */
  readonly format?: "date-time";
  /** When the value is an object: the rules of its members (others are kept unchecked). */
  readonly properties?: Readonly<Record<string, JsonFieldRule>>;
  /** When the value is an array: the rule of each item. */
  readonly items?: JsonFieldRule;
}

/**
 * One JSON webhook type (Call Control, Messaging, Fax, …), recognised by its `data.event_type`.
 * Entries are built from the generated tables of src/events/json-tables.ts (see src/events/json.ts).
 */
export interface JsonEventType {
  readonly media: "json";
  /** The CloudEvents type: `com.telnyx.<event_type>`, or `com.telnyx.webhook` for a body with no well-formed `event_type`. */
  readonly type: string;
  /** The `data.event_type` it is recognised by; undefined for `com.telnyx.webhook`. */
  readonly eventType: string | undefined;
  /** Validated as generic (nothing beyond being a JSON object): `com.telnyx.webhook`, and a well-formed `event_type` no entry knows. */
  readonly generic?: true;
  /** Where the table comes from (spec file and webhook name). */
  readonly documentedBy: string;
  /** `data.occurred_at` is required (the spec models it for this webhook). */
  readonly occurredAt: boolean;
  /** The rules for `data.payload`'s fields. Other fields are kept unchecked. */
  readonly payload: Readonly<Record<string, JsonFieldRule>>;
  /** The payload field that becomes CloudEvents `subject` (the family's natural key). */
  readonly subject?: string;
  readonly id: "telnyx-id";
}

/** Any entry of the registry. */
export type EventType = FormEventType | JsonEventType;

/** A form body, decoded and indexed once for recognition and validation. */
export interface FormBody {
  readonly media: "form";
  /** Name/value pairs in body order, duplicates kept (as parseForm gives them). */
  readonly fields: ReadonlyArray<readonly [string, string]>;
  /**
   * The first value of each name. A null-prototype record: `__proto__` is just a name. Like any
   * JavaScript object it lists integer-like names ("0", "1") first; {@link fields} keeps body order.
   */
  readonly data: Readonly<Record<string, string>>;
  /** Names given more than once, each once, in body order (an ambiguous callback). */
  readonly repeated: readonly string[];
}

/** A JSON body, parsed strictly (see parseStrictJson) and read once for recognition and validation. */
export interface JsonBody {
  readonly media: "json";
  /** The body's text, valid JSON, with no line break (those outside strings are whitespace, dropped). */
  readonly text: string;
  /** The parsed body: always an object (a webhook is one). */
  readonly value: Readonly<Record<string, unknown>>;
  /**
   * The envelope: `data` is the usual `{data: {event_type, id, occurred_at, payload, …}, meta}`,
   * `event` the newer `{id, event, occurred_at, version, data}`, `other` anything else (10DLC's flat
   * campaign status update).
   */
  readonly envelope: "data" | "event" | "other";
  /** The object holding `event_type`, `id` and `occurred_at`: `data`, or the body itself for `event`/`other`. */
  readonly record: Readonly<Record<string, unknown>>;
  /** `data.event_type` (or `event`), when a string. */
  readonly eventType: string | undefined;
}

/** A body decoded according to its media type. */
export type DecodedBody = FormBody | JsonBody;

/**
 * Declares a form callback type, checking at compile time that `source`, `subject` and `time` name
 * fields of its table. Returns its argument unchanged.
 *
 * @param entry The type's table and attributes.
 * @returns The same entry.
 * @example
 * ```ts
 * const PING = defineFormEventType({
 *   media: "form", type: "com.example.ping", documentedBy: "an example", id: "delivery",
 *   recognisedBy: { present: ["Ping"] },
 *   fields: { AccountSid: { required: true }, Ping: { required: true, format: "integer" } },
 *   source: "AccountSid",
 * });
 * ```
 */
export function defineFormEventType<const Name extends string>(entry: FormEventType<Name>): FormEventType<Name> {
  return entry;
}
