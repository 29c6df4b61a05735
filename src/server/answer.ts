import type { MediaType } from "../events/event-type.ts";
import { TEXML_CONTENT_TYPE } from "../events/texml-reply.ts";
import { statusOf, type Rejection } from "../pipeline/rejection.ts";
import type { Accepted } from "../pipeline/relay.ts";

/** An HTTP answer, before it is written: status, body and headers. */
export interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** Headers besides Content-Type and Content-Length; absent when none. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** The content type of every JSON answer (an event's outcome and every error). */
export const JSON_TYPE = "application/json";

/**
 * The answer to a refusal: its status (src/pipeline/rejection.ts) and one JSON line
 * `{"error","message"}`.
 *
 * @param rejection The refusal.
 * @param headers Headers it needs (`Allow`, `Connection: close`, `Retry-After`…).
 * @returns The answer.
 * @example
 * ```ts
 * refusalAnswer(reject("not_found", "nothing is served at /x")); // { status: 404, body: '{"error":"not_found",…}\n', … }
 * ```
 */
export function refusalAnswer(rejection: Rejection, headers?: Readonly<Record<string, string>>): Answer {
  const body = `${JSON.stringify({ error: rejection.reason, message: rejection.detail })}\n`;
  return { status: statusOf(rejection.reason), contentType: JSON_TYPE, body, ...(headers === undefined ? {} : { headers }) };
}

/**
 * The answer to a webhook the relay took or refused. Taken: 200; a TeXML (form) callback gets a
 * TeXML document (the downstream's, else `texmlReply`: a duplicate gets the default, its first answer
 * is not kept) with the event id and status in `Telnyx-Relay-Event-Id` / `Telnyx-Relay-Status`; a
 * JSON webhook gets `{"status","id"}`. Refused: {@link refusalAnswer}, with `Retry-After: 1` on a
 * 503 (Telnyx delivers again).
 *
 * @param outcome What the relay made of the delivery.
 * @param media The delivery's media type.
 * @param texmlReply The default TeXML document.
 * @returns The answer.
 * @example
 * ```ts
 * relayAnswer({ ok: true, id: "a1", duplicate: false }, "json", DEFAULT_TEXML_REPLY); // 200 {"status":"accepted","id":"a1"}
 * ```
 */
export function relayAnswer(outcome: Accepted | Rejection, media: MediaType, texmlReply: string): Answer {
  if (!outcome.ok) return refusalAnswer(outcome, statusOf(outcome.reason) === 503 ? { "Retry-After": "1" } : undefined);
  const status = outcome.filtered ? "filtered" : outcome.duplicate ? "duplicate" : "accepted";
  if (media === "form") {
    // Telnyx reads the answer to a TeXML callback as TeXML.
    const headers = { "Telnyx-Relay-Event-Id": outcome.id, "Telnyx-Relay-Status": status };
    return { status: 200, contentType: TEXML_CONTENT_TYPE, body: outcome.reply ?? texmlReply, headers };
  }
  // The id of a JSON webhook is Telnyx's own text: escaped.
  return { status: 200, contentType: JSON_TYPE, body: `{"status":"${status}","id":${JSON.stringify(outcome.id)}}\n` };
}
