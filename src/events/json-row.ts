import type { JsonFieldRule } from "./event-type.ts";

/** One row of the generated table (src/events/json-tables.ts): one JSON `event_type` of spec3.json. */
export interface JsonWebhookRow {
  /** The `data.event_type` value, e.g. `call.hangup`. */
  readonly eventType: string;
  /** The key of spec3.json's `webhooks` map it comes from, e.g. `callHangup`. */
  readonly webhook: string;
  /** The spec models `data.occurred_at` for this webhook. */
  readonly occurredAt: boolean;
  /** The payload field naming what the event is about (CloudEvents `subject`). */
  readonly subject?: string;
  /** The payload's fields with a rule (type, enum, date-time), from the spec. */
  readonly fields: Readonly<Record<string, JsonFieldRule>>;
  /** The spec's example body (`{"data": …}`), as JSON text; absent when the spec gives none. */
  readonly example?: string;
}
