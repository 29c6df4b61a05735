// What `replay` makes of one dead-letter record: its stored signature checked with the configured
// keys (the age window aside: records are old by nature), then the delivery re-validated by this
// build's pipeline (decode → recognise → validate → CloudEvent). Pure.
import { Buffer } from "node:buffer";
import type { KeyObject } from "node:crypto";
import type { MediaType } from "../events/event-type.ts";
import { CONTENT_TYPES } from "../events/media-type.ts";
import { ACCEPTED_MEDIA_TYPES, acceptedMediaType, recogniseEvent } from "../events/registry.ts";
import { recogniseOnPath, TEXML_KINDS, type TexmlKind } from "../events/texml-paths.ts";
import type { DeadLetter } from "../lib/dead-letter-file.ts";
import { encodeCloudEvent, type EncodedEvent } from "../pipeline/cloud-event.ts";
import { decodeBody } from "../pipeline/decode.ts";
import { deriveEventId } from "../pipeline/event-id.ts";
import { validateEvent } from "../pipeline/validate.ts";
import { createVerifier } from "../pipeline/verify.ts";

/** What became of one record. */
export type ReplayVerdict =
  /** Not a dead-letter record (a line cut short, or written by hand). */
  | { readonly kind: "unreadable"; readonly detail: string }
  /** Its stored signature does not hold for any configured key: never passed on. */
  | { readonly kind: "bad-signature"; readonly detail: string }
  /** Signed, and still not a valid event with this build. */
  | { readonly kind: "still-invalid"; readonly detail: string }
  /** Signed, and valid now: the delivery (to re-sign for a relay) and its CloudEvent. */
  | { readonly kind: "valid"; readonly contentType: string; readonly texmlKind: TexmlKind | undefined; readonly body: Buffer; readonly event: EncodedEvent; readonly type: string }
  /** A CloudEvent the downstream refused: it can be POSTed again as it is. */
  | { readonly kind: "refused-event"; readonly id: string; readonly json: string; readonly detail: string };

/**
 * Judges one line of a dead-letter file.
 *
 * @param line The line (without its newline).
 * @param keys The public keys the relay is configured with.
 * @returns The verdict.
 * @example
 * ```ts
 * const verdict = judgeRecord(line, [parsePublicKey(process.env.TELNYX_PUBLIC_KEY ?? "")]);
 * if (verdict.kind === "valid") console.log(verdict.event.json);
 * ```
 */
export function judgeRecord(line: string, keys: readonly KeyObject[]): ReplayVerdict {
  let record: DeadLetter;
  try {
    record = JSON.parse(line) as DeadLetter;
  } catch {
    return { kind: "unreadable", detail: "not JSON" };
  }
  if (record?.reason === "downstream_rejected" && typeof record.event === "string" && typeof record.id === "string") {
    return { kind: "refused-event", id: record.id, json: record.event, detail: String(record.detail) };
  }
  if (record?.reason !== "invalid_event" || typeof record.headers !== "object" || record.headers === null) {
    return { kind: "unreadable", detail: "not a dead-letter record" };
  }
  const body = typeof record.body === "string" ? Buffer.from(record.body) : Buffer.from(String(record.bodyBase64 ?? ""), "base64");
  const timestamp = record.headers["telnyx-timestamp"];
  // The age window is centred on the record's own timestamp: only the signature counts.
  const verify = createVerifier({ keys, toleranceSeconds: 1, now: () => Number(timestamp) * 1000 });
  const verified = verify(timestamp, record.headers["telnyx-signature-ed25519"], body);
  if (!verified.ok) return { kind: "bad-signature", detail: verified.detail };

  const media = typeof record.contentType === "string" ? acceptedMediaType(record.contentType) : guessMedia(body);
  if (media === undefined) return { kind: "still-invalid", detail: "its media type is not one this build accepts" };
  const decoded = decodeBody(media, verified.body);
  if ("ok" in decoded) return { kind: "still-invalid", detail: decoded.detail };
  const kind = typeof record.texmlKind === "string" && (TEXML_KINDS as readonly string[]).includes(record.texmlKind) ? (record.texmlKind as TexmlKind) : undefined;
  const type = kind === undefined || decoded.media !== "form" ? recogniseEvent(decoded) : recogniseOnPath(decoded, kind);
  const valid = validateEvent(type, decoded);
  if (!valid.ok) return { kind: "still-invalid", detail: valid.detail };
  return { kind: "valid", contentType: CONTENT_TYPES[media], texmlKind: kind, body, event: encodeCloudEvent(valid.event, deriveEventId(type, decoded, verified, kind)), type: type.type };
}

// Records written before they kept their Content-Type: JSON bodies are objects, the rest TeXML forms.
function guessMedia(body: Buffer): MediaType | undefined {
  const json = /^\s*\{/.test(body.subarray(0, 64).toString("latin1"));
  return ACCEPTED_MEDIA_TYPES.find((media) => /json/.test(CONTENT_TYPES[media]) === json);
}
