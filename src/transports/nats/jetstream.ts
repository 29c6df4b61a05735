// JetStream over a NATS connection: a publish and what its PubAck says, and which streams capture a
// subject. The JetStream API is plain request/reply on `$JS.API.*` subjects with JSON bodies.
// (https://docs.nats.io/reference/reference-protocols/nats_api_reference)
import { Buffer } from "node:buffer";
import { NatsRequestError, type NatsConnection, type NatsReply } from "./connection.ts";

/** What one publish came to. */
export type PublishResult =
  /** Stored (or already stored within the stream's duplicate window: `duplicate`). */
  | { readonly kind: "stored"; readonly stream: string; readonly seq: number; readonly duplicate: boolean }
  /** Not stored this time; may be next time (timeout, no connection, leader election). */
  | { readonly kind: "retry"; readonly reason: string; readonly reached: boolean }
  /** Not stored and never will be as it is (too large, no stream for the subject, refused by the stream). */
  | { readonly kind: "refuse"; readonly reason: string; readonly code: number };

/**
 * Publishes one message to JetStream with `Nats-Msg-Id: <id>` and waits for the PubAck.
 *
 * A 503 "no responders" means no stream leader answered: during a leader election, or when no
 * stream captures the subject; the stream names are asked to tell which (an answer without a
 * stream: refuse; no answer or a stream: retry).
 *
 * @param connection The connection.
 * @param subject The subject.
 * @param id The message id (the event id): JetStream stores one message per id within its duplicate window.
 * @param payload The message.
 * @param timeoutMs How long to wait for the PubAck (and the stream names after a 503).
 * @param now The clock (ms).
 * @returns What came of it.
 * @example
 * ```ts
 * const result = await publish(connection, "telnyx.com.telnyx.call.hangup", event.id, Buffer.from(event.json), 1500, Date.now);
 * ```
 */
export async function publish(connection: NatsConnection, subject: string, id: string, payload: Uint8Array, timeoutMs: number, now: () => number): Promise<PublishResult> {
  const headers: Array<[string, string]> = [["Nats-Msg-Id", id]];
  const max = connection.maxPayload();
  // Headers count toward max_payload: the block's own bytes (NATS/1.0, CRLFs).
  const size = payload.length + `NATS/1.0\r\nNats-Msg-Id: ${id}\r\n\r\n`.length;
  if (max !== undefined && size > max) return { kind: "refuse", reason: `the event (${size} bytes) is larger than the server's max_payload (${max} bytes)`, code: 413 };
  const started = now();
  let reply: NatsReply;
  try {
    reply = await connection.request(subject, headers, payload, timeoutMs);
  } catch (error) {
    return { kind: "retry", reason: `no PubAck: ${(error as Error).message}`, reached: error instanceof NatsRequestError && error.reached };
  }
  if (reply.headers?.status === 503) {
    const left = Math.max(100, timeoutMs - (now() - started));
    const streams = await streamsFor(connection, subject, left).catch(() => undefined);
    if (streams !== undefined && streams.length === 0) return { kind: "refuse", reason: `no JetStream stream captures the subject ${subject}`, code: 404 };
    return { kind: "retry", reason: "no responders: the stream's leader is being elected or is unavailable", reached: true };
  }
  return readPubAck(reply.payload);
}

/**
 * Reads a PubAck (or a JetStream API error) as a {@link PublishResult}.
 *
 * @param payload The reply's body.
 * @returns stored, or retry (a 5xx API error, an unreadable answer), or refuse (a 4xx API error).
 * @example
 * ```ts
 * readPubAck(Buffer.from('{"stream":"TELNYX","seq":7,"duplicate":true}')); // { kind: "stored", … duplicate: true }
 * ```
 */
export function readPubAck(payload: Uint8Array): PublishResult {
  let ack: { stream?: unknown; seq?: unknown; duplicate?: unknown; error?: { code?: unknown; err_code?: unknown; description?: unknown } };
  try {
    ack = JSON.parse(Buffer.from(payload).toString("utf8")) as typeof ack;
  } catch {
    return { kind: "retry", reason: "the PubAck is not JSON", reached: true };
  }
  if (ack.error !== undefined && ack.error !== null) {
    const code = typeof ack.error.code === "number" ? ack.error.code : 500;
    const reason = `JetStream refused the message: ${String(ack.error.description ?? "no description")} (code ${code}, err_code ${String(ack.error.err_code ?? "?")})`;
    return code >= 400 && code < 500 ? { kind: "refuse", reason, code } : { kind: "retry", reason, reached: true };
  }
  if (typeof ack.stream !== "string" || typeof ack.seq !== "number") return { kind: "retry", reason: "the PubAck names no stream and sequence", reached: true };
  return { kind: "stored", stream: ack.stream, seq: ack.seq, duplicate: ack.duplicate === true };
}

/**
 * The names of the streams that capture `subject` (`$JS.API.STREAM.NAMES` with a subject filter).
 *
 * @param connection The connection.
 * @param subject A subject (wildcards allowed: streams whose subjects overlap it).
 * @param timeoutMs How long to wait.
 * @returns The stream names (none: no stream captures it).
 * @throws {Error} When JetStream does not answer, or answers with an error (JetStream not enabled, no permission).
 * @example
 * ```ts
 * await streamsFor(connection, "telnyx.com.telnyx.call.hangup", 1500); // ["TELNYX"]
 * ```
 */
export async function streamsFor(connection: NatsConnection, subject: string, timeoutMs: number): Promise<string[]> {
  const reply = await connection.request("$JS.API.STREAM.NAMES", [], Buffer.from(JSON.stringify({ subject })), timeoutMs);
  if (reply.headers?.status === 503) throw new Error("JetStream did not answer (no responders: is JetStream enabled for this account?)");
  const answer = JSON.parse(Buffer.from(reply.payload).toString("utf8")) as { streams?: unknown; error?: { description?: unknown } };
  if (answer.error) throw new Error(`JetStream: ${String(answer.error.description ?? "error")}`);
  return Array.isArray(answer.streams) ? answer.streams.filter((name): name is string => typeof name === "string") : [];
}
