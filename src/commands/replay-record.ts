// What `replay` makes of one dead-letter record: its stored signature checked with the configured
// keys (the age window aside: records are old by nature), then the delivery re-validated by this
// build's stage chain (src/pipeline/stages.ts: decode → recognise → validate → CloudEvent). Pure.
import { Buffer } from "node:buffer";
import type { KeyObject } from "node:crypto";
import type { MediaType } from "../events/event-type.ts";
import { CONTENT_TYPES } from "../events/media-type.ts";
import { ACCEPTED_MEDIA_TYPES, acceptedMediaType } from "../events/registry.ts";
import { TEXML_KINDS, type TexmlKind } from "../events/texml-paths.ts";
import type { DeadLetter } from "../lib/dead-letter-file.ts";
import type { EncodedEvent } from "../pipeline/cloud-event.ts";
import { runStages } from "../pipeline/stages.ts";
import { createVerifier, type Verifier } from "../pipeline/verify.ts";

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
  const kind = typeof record.texmlKind === "string" && (TEXML_KINDS as readonly string[]).includes(record.texmlKind) ? (record.texmlKind as TexmlKind) : undefined;
  const media = typeof record.contentType === "string" ? acceptedMediaType(record.contentType) : guessMedia(body);
  const outcome = runStages(
    { media, timestampHeader: record.headers["telnyx-timestamp"], signatureHeader: record.headers["telnyx-signature-ed25519"], body, texmlKind: kind },
    { verify: signatureOnly(keys) },
  );
  if (outcome.kind === "unsigned") return { kind: "bad-signature", detail: outcome.rejection.detail };
  if (outcome.kind !== "valid") return { kind: "still-invalid", detail: outcome.kind === "invalid" ? outcome.rejection.detail : "filtered" };
  return { kind: "valid", contentType: CONTENT_TYPES[media as MediaType], texmlKind: kind, body, event: outcome.event, type: outcome.type.type };
}

/**
 * The signature check without the age window: each delivery's window is centred on its own
 * timestamp, so only the signature counts (a dead letter is old by nature).
 */
function signatureOnly(keys: readonly KeyObject[]): Verifier {
  return (timestamp, signature, body) => createVerifier({ keys, toleranceSeconds: 1, now: () => Number(timestamp) * 1000 })(timestamp, signature, body);
}

// Records written before they kept their Content-Type: JSON bodies are objects, the rest TeXML forms.
function guessMedia(body: Buffer): MediaType | undefined {
  const json = /^\s*\{/.test(body.subarray(0, 64).toString("latin1"));
  return ACCEPTED_MEDIA_TYPES.find((media) => /json/.test(CONTENT_TYPES[media]) === json);
}
