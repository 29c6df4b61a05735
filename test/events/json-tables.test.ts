import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { DEFAULT_SPEC, generateJsonTables, OUTPUT } from "../../scripts/generate-json-types.ts";
import { EVENT_TYPES } from "../../src/events/registry.ts";
import { JSON_WEBHOOK_ROWS } from "../../src/events/json-tables.ts";

test("src/events/json-tables.ts is what scripts/generate-json-types.ts makes of ../shared/telnyx/spec3.json", (t) => {
  if (!existsSync(DEFAULT_SPEC)) {
    t.skip(`${DEFAULT_SPEC} is not here (CI has it beside the clone): not compared`);
    return;
  }
  const expected = generateJsonTables(JSON.parse(readFileSync(DEFAULT_SPEC, "utf8")));
  assert.ok(readFileSync(OUTPUT, "utf8") === expected, "regenerate: node scripts/generate-json-types.ts");
});

test("the generated table has every JSON event_type of the spec once (71 in enums, number_order.complete as an example), each a registry entry com.telnyx.<event_type>", () => {
  const eventTypes = JSON_WEBHOOK_ROWS.map((row) => row.eventType);
  assert.equal(new Set(eventTypes).size, eventTypes.length);
  assert.equal(eventTypes.length, 72);
  for (const eventType of ["call.hangup", "call.refer.failed", "message.finalized", "fax.delivered", "siprec.started", "call.dequeued", "number_order.complete"]) {
    assert.ok(EVENT_TYPES.some((entry) => entry.media === "json" && entry.type === `com.telnyx.${eventType}` && entry.eventType === eventType), eventType);
  }
  assert.equal(EVENT_TYPES.filter((entry) => entry.media === "json" && entry.generic).length, 1, "one generic JSON entry");
});

test("docs/events.md's event table has a row for every JSON type of the registry", () => {
  const events = readFileSync(new URL("../../docs/events.md", import.meta.url), "utf8");
  for (const entry of EVENT_TYPES) {
    if (entry.media !== "json") continue;
    assert.ok(events.includes(`\n| \`${entry.type}\` | JSON | `), `docs/events.md's event table lacks ${entry.type}`);
  }
});

test("number_order.complete (NumberOrderWebhookEvent, its event_type an example, not an enum) has its row: subject the order's id, an example assembled from the fields' examples", () => {
  const row = JSON_WEBHOOK_ROWS.find((candidate) => candidate.eventType === "number_order.complete");
  assert.equal(row?.webhook, "numberOrderStatusUpdate");
  assert.equal(row?.subject, "id");
  assert.deepEqual(row?.fields.status, { type: ["string"], oneOf: ["pending", "success", "failure"] });
  const example = JSON.parse(row?.example as string) as { data: Record<string, unknown>; meta: unknown };
  assert.equal(example.data.event_type, "number_order.complete");
  assert.equal(example.data.record_type, "event");
  assert.deepEqual(example.meta, { attempt: 1, delivered_to: "https://sample-api.com/webhook" });
});
