import type { DecodedBody, EventType, MediaType } from "../events/event-type.ts";
import { recogniseEvent } from "../events/registry.ts";
import { recogniseOnPath, type TexmlKind } from "../events/texml-paths.ts";
import { encodeCloudEvent, type EncodedEvent } from "./cloud-event.ts";
import { decodeBody } from "./decode.ts";
import { deriveEventId } from "./event-id.ts";
import { reject, type Rejection } from "./rejection.ts";
import { validateEvent } from "./validate.ts";
import type { HeaderValue, Verifier, VerifiedBody } from "./verify.ts";

/** One signed delivery, its media type already told from its Content-Type. */
export interface StageInput {
  /** How to decode the body; undefined: none this build accepts (refused as invalid once the signature holds). */
  readonly media: MediaType | undefined;
  readonly timestampHeader: HeaderValue;
  readonly signatureHeader: HeaderValue;
  readonly body: Uint8Array;
  /** Posted to a TeXML per-kind path: a form body is validated as that kind. */
  readonly texmlKind?: TexmlKind | undefined;
}

/** What the chain needs: the signature check (with or without the age window) and the `--events` filter. */
export interface StageOptions {
  /**
   * The signature check. The relay's holds `telnyx-timestamp` to `--timestamp-tolerance`; `replay`'s
   * is centred on each record's own timestamp, since a dead letter is old by nature (only the
   * signature counts).
   */
  readonly verify: Verifier;
  /** Whether events of a CloudEvents type are handed on (`--events`); all are when absent. */
  readonly keep?: ((type: string) => boolean) | undefined;
  /** Told each type as it is recognised, before the filter (the relay counts and warns about generic ones). */
  readonly recognised?: ((type: EventType, body: DecodedBody) => void) | undefined;
}

/** Where a delivery left the chain. */
export type StageOutcome =
  /** The signature (or a Telnyx header) does not hold: never parsed. */
  | { readonly kind: "unsigned"; readonly rejection: Rejection }
  /** Signed, and not a valid event: to be kept as a dead letter. `type` is undefined when the body did not decode. */
  | { readonly kind: "invalid"; readonly rejection: Rejection; readonly body: VerifiedBody; readonly type: EventType | undefined }
  /** Signed, and of a type `--events` does not keep: not validated. */
  | { readonly kind: "filtered"; readonly id: string; readonly type: EventType }
  /** Signed and valid: its id and CloudEvent. */
  | { readonly kind: "valid"; readonly id: string; readonly type: EventType; readonly event: EncodedEvent; readonly body: VerifiedBody };

/**
 * The pipeline's stage chain, shared by the relay (src/pipeline/relay.ts) and `replay`
 * (src/commands/replay-record.ts): verify → decode (by media type) → recognise (by fields, or by
 * the TeXML per-kind path) → (`--events`) filter → validate → event id → CloudEvent. Pure: what
 * becomes of the outcome (metrics, dead letter, hand-on, an answer) is the caller's.
 *
 * Nothing is decoded before the signature holds. The id comes from the decoded body, before the
 * CloudEvent is encoded.
 *
 * @param input The delivery and its media type.
 * @param options The verifier and the filter.
 * @returns Where the delivery left the chain.
 * @example
 * ```ts
 * const outcome = runStages({ media: "form", timestampHeader, signatureHeader, body }, { verify });
 * if (outcome.kind === "valid") console.log(outcome.event.json);
 * ```
 */
export function runStages(input: StageInput, options: StageOptions): StageOutcome {
  const verified = options.verify(input.timestampHeader, input.signatureHeader, input.body);
  if (!verified.ok) return { kind: "unsigned", rejection: verified };
  if (input.media === undefined) {
    return { kind: "invalid", rejection: reject("unsupported_media_type", "its media type is not one this build accepts"), body: verified.body, type: undefined };
  }

  const body = decodeBody(input.media, verified.body);
  if ("ok" in body) return { kind: "invalid", rejection: body, body: verified.body, type: undefined };
  // A per-kind path decides the type of a form body only.
  const type = input.texmlKind === undefined || body.media !== "form" ? recogniseEvent(body) : recogniseOnPath(body, input.texmlKind);
  options.recognised?.(type, body);
  const { keep } = options;
  if (keep !== undefined && !keep(type.type)) return { kind: "filtered", id: deriveEventId(type, body, verified, input.texmlKind), type };
  const valid = validateEvent(type, body);
  if (!valid.ok) return { kind: "invalid", rejection: valid, body: verified.body, type };

  const id = deriveEventId(type, body, verified, input.texmlKind);
  return { kind: "valid", id, type, event: encodeCloudEvent(valid.event, id), body: verified.body };
}
