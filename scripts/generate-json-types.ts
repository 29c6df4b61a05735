// Generates src/events/json-tables.ts from Telnyx's OpenAPI spec (spec3.json, its `webhooks` map):
// one row per JSON `event_type`: the webhook it comes from, the payload fields the relay checks
// (JSON type, enum, date-time) and the spec's own example body. The relay then needs no JSON-schema
// library at run time, and a new Telnyx event is a regeneration, not hand edits.
//
//   node scripts/generate-json-types.ts [path/to/spec3.json]   (default ../shared/telnyx/spec3.json)
//
// test/events/json-tables.test.ts checks that the checked-in module equals this script's output.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Where the generated module goes, and where the spec is looked for by default. */
export const OUTPUT = fileURLToPath(new URL("../src/events/json-tables.ts", import.meta.url));
export const DEFAULT_SPEC = fileURLToPath(new URL("../../shared/telnyx/spec3.json", import.meta.url));

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  format?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  example?: unknown;
};
type Spec = { components: { schemas: Record<string, Schema> }; webhooks: Record<string, { post: { requestBody: { content: Record<string, { schema: Schema }> } } }> };

// The payload field that names what the event is about (CloudEvents `subject`), by family: the first
// of these the payload's schema has. The natural key a consumer correlates on.
const SUBJECT_BY_PREFIX: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["conference.", ["conference_id"]],
  ["number_order.", ["id"]],
  ["fax.", ["fax_id"]],
  ["message.", ["id"]],
  ["messaging_hosted_numbers_orders.", ["order_id", "id"]],
  ["", ["call_control_id", "id"]],
];

const JSON_KINDS = new Set(["string", "integer", "number", "boolean", "object", "array", "null"]);

/**
 * The generated module's text for a parsed spec.
 *
 * @param spec spec3.json, parsed.
 * @returns The TypeScript source of src/events/json-tables.ts.
 * @example
 * ```ts
 * const text = generateJsonTables(JSON.parse(readFileSync(DEFAULT_SPEC, "utf8")));
 * ```
 */
export function generateJsonTables(spec: Spec): string {
  const schemas = spec.components.schemas;
  const deref = (schema: Schema | undefined): Schema | undefined => {
    let current = schema;
    while (current?.$ref !== undefined) current = schemas[current.$ref.split("/").pop() as string];
    return current;
  };
  const rows: string[] = [];
  const seen = new Set<string>();
  for (const [webhook, entry] of Object.entries(spec.webhooks)) {
    const body = deref(entry.post.requestBody.content["application/json"]?.schema);
    // Most webhooks model `{data: {...}}`; conferenceFloorChanged models the `data` object itself.
    const data = deref(body?.properties?.data) ?? (body?.properties?.event_type ? body : undefined);
    // Most list their event_type values in an enum; numberOrderStatusUpdate gives its one
    // (`number_order.complete`) only as the field's example.
    const eventTypeSchema = deref(data?.properties?.event_type);
    const eventTypes = (eventTypeSchema?.enum ?? (typeof eventTypeSchema?.example === "string" ? [eventTypeSchema.example] : [])) as string[];
    if (data === undefined || eventTypes.length === 0) continue; // no event_type: handled as generic
    const payload = deref(data.properties?.payload);
    const fields: Record<string, { type?: string[]; oneOf?: string[]; format?: "date-time" }> = {};
    for (const [name, raw] of Object.entries(payload?.properties ?? {})) {
      const field = deref(raw) as Schema;
      const rule: { type?: string[]; oneOf?: string[]; format?: "date-time" } = {};
      const kinds = (Array.isArray(field.type) ? field.type : field.type === undefined ? [] : [field.type]).filter((kind) => JSON_KINDS.has(kind));
      if (kinds.length > 0) rule.type = kinds;
      if (field.enum !== undefined && field.enum.every((value) => typeof value === "string")) rule.oneOf = field.enum as string[];
      if (field.format === "date-time") rule.format = "date-time";
      if (Object.keys(rule).length > 0) fields[name] = rule;
    }
    // The example is on the body's schema (`{data, meta}`) or on `data`'s; conferenceFloorChanged's
    // is the `data` object itself, sent wrapped like every other (FAMILY.md §3.1's envelope).
    const bodyExample = body?.example as { data?: unknown } | undefined;
    const dataExample = bodyExample === undefined ? data.example : bodyExample.data === undefined ? bodyExample : undefined;
    // No example of the whole body (numberOrderStatusUpdate): one made of its fields' own examples.
    const example = dataExample === undefined ? (bodyExample ?? exampleOf(body, deref)) : { data: dataExample };
    for (const eventType of eventTypes) {
      if (seen.has(eventType)) continue;
      seen.add(eventType);
      const candidates = SUBJECT_BY_PREFIX.find(([prefix]) => eventType.startsWith(prefix))?.[1] ?? [];
      const subject = candidates.find((name) => payload?.properties?.[name] !== undefined);
      let exampleText: string | undefined;
      if (example !== undefined) {
        const copy = JSON.parse(JSON.stringify(example)) as { data: { event_type: string } };
        // One example serves every event_type of its webhook (deliveryUpdate, hostedNumberOrderEvent).
        copy.data.event_type = eventType;
        exampleText = JSON.stringify(copy);
      }
      const row = { eventType, webhook, occurredAt: data.properties?.occurred_at !== undefined, subject, fields, example: exampleText };
      rows.push(`  ${JSON.stringify(row)},`);
    }
  }
  return `${[
    "// GENERATED by scripts/generate-json-types.ts from Telnyx's spec3.json (its `webhooks` map). Do not edit:",
    "// regenerate (`node scripts/generate-json-types.ts`). One row per JSON `event_type`, one line each.",
    "// Long by nature: data, not code.",
    'import type { JsonWebhookRow } from "./json-row.ts";',
    "",
    "/** Every JSON webhook `event_type` of the spec, with the payload fields the relay checks and the spec's example. */",
    "export const JSON_WEBHOOK_ROWS: readonly JsonWebhookRow[] = [",
    ...rows,
    "];",
  ].join("\n")}\n`;
}

/**
 * An example value assembled from a schema's own examples, for a webhook whose spec gives none of
 * the whole body: a field's `example` (else the first value of its enum), an object of its
 * properties' examples, an array of one example item. Undefined when nothing below has one.
 */
function exampleOf(schema: Schema | undefined, deref: (schema: Schema | undefined) => Schema | undefined, depth = 0): unknown {
  const field = deref(schema);
  if (field === undefined || depth > 8) return undefined;
  if (field.example !== undefined) return field.example;
  if (field.enum !== undefined) return field.enum[0];
  if (field.properties !== undefined) {
    const value: Record<string, unknown> = {};
    for (const [name, property] of Object.entries(field.properties)) {
      const example = exampleOf(property, deref, depth + 1);
      if (example !== undefined) value[name] = example;
    }
    return value;
  }
  if (field.items !== undefined) {
    const item = exampleOf(field.items, deref, depth + 1);
    return item === undefined ? [] : [item];
  }
  return undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const specPath = process.argv[2] ?? DEFAULT_SPEC;
  writeFileSync(OUTPUT, generateJsonTables(JSON.parse(readFileSync(specPath, "utf8")) as Spec));
  console.log(`wrote ${OUTPUT}`);
}
