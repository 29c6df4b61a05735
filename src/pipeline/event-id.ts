import { Buffer } from "node:buffer";
import { hash } from "node:crypto";
import type { DecodedBody, EventType, FormBody, FormIdRule } from "../events/event-type.ts";

/**
 * What Telnyx signed for one delivery: the raw body and the `telnyx-timestamp` header, as the
 * verifier accepted them (the `Verified` result of createVerifier's function is one).
 */
export interface SignedDelivery {
  /** The raw body bytes, exactly as signed. */
  readonly body: Uint8Array;
  /** The `telnyx-timestamp` header, in Unix seconds. */
  readonly timestamp: number;
}

/**
 * What Telnyx's own event id is taken to be: printable ASCII, 1–200 characters (Telnyx's are UUIDs).
 * It becomes the CloudEvent id, a header of forwarded requests and a dedup key.
 */
export const TELNYX_ID = /^[\x21-\x7e]{1,200}$/;

/**
 * The id of a valid event, by its type's id rule (see EventIdRule; docs/events.md, "Event ids").
 *
 * - A JSON webhook: Telnyx's own id (`data.id`, or the top-level `id` of the newer envelope), which
 *   every retry keeps although its body changes (`meta.attempt`).
 * - A form callback whose body is unique to it (a `content` rule, and one of its fields present):
 *   a hash of the type and the raw body, so every redelivery (re-signed, with a later
 *   `telnyx-timestamp`, the same body) has the same id.
 * - Any other (a `delivery` rule; a JSON body without an id): a hash of the type, the per-kind
 *   path, the `telnyx-timestamp` header and the raw body. Two callbacks with the same body (a
 *   second `<Gather>` answered the same way) get two ids; only a byte-identical copy of one signed
 *   delivery shares one.
 *
 * Every hash covers the raw bytes, not the decoded fields: two different signed bodies never share
 * an id, even where decoding maps them to the same text (`%FF` and `%FE` both decode to U+FFFD).
 *
 * @param type The event's registry entry.
 * @param body Its decoded body.
 * @param signed The delivery's raw body and `telnyx-timestamp` (the verifier's result).
 * @param texmlKind The TeXML per-kind path it was posted to; undefined for the general path.
 * @returns 32 lowercase hex characters (128 bits of SHA-256), or Telnyx's own id.
 * @example
 * ```ts
 * const verified = verify(timestampHeader, signatureHeader, bytes);
 * if (verified.ok) id = deriveEventId(type, decodeBody("form", verified.body), verified);
 * ```
 */
export function deriveEventId(type: EventType, body: DecodedBody, signed: SignedDelivery, texmlKind?: string): string {
  if (type.id === "telnyx-id") {
    const id = body.media === "json" ? body.record.id : undefined;
    if (typeof id === "string" && TELNYX_ID.test(id)) return id;
  } else if (body.media === "form" && identifiesByContent(type.id, body)) {
    return digest(["content", type.type], signed.body);
  }
  return digest(["delivery", type.type, texmlKind ?? "", String(signed.timestamp)], signed.body);
}

/** Whether a `content` rule applies: one of its fields is present and not empty. */
function identifiesByContent(rule: FormIdRule, body: FormBody): boolean {
  if (rule === "delivery") return false;
  return rule.content.some((name) => (body.data[name] ?? "") !== "");
}

/**
 * 128 bits of SHA-256 over the length-prefixed labels, then the body: `("ab","c")` and `("a","bc")`
 * differ, and no label can run into the body.
 */
function digest(labels: readonly string[], body: Uint8Array): string {
  let head = "";
  for (const label of labels) head += `${label.length}:${label}`;
  const prefix = Buffer.from(`${head}${body.length}:`);
  // One-shot: no Hash object per event (hash() is cheaper than createHash for a short input).
  return hash("sha256", Buffer.concat([prefix, body]), "hex").slice(0, 32);
}
