import { Buffer } from "node:buffer";
import { acceptedMediaType } from "../events/registry.ts";
import type { TexmlKind } from "../events/texml-paths.ts";
import { unsupportedMediaType } from "./decode.ts";
import { reject, type Rejection } from "./rejection.ts";
import { runStages, type StageOptions } from "./stages.ts";
import type { HeaderValue, Verifier } from "./verify.ts";
import type { BoundedDeadLetterFile } from "../lib/dead-letter-file.ts";
import type { Delivered } from "./delivered.ts";
import type { EncodedEvent } from "./cloud-event.ts";
import type { Metrics } from "../lib/metrics.ts";
import { warnOncePerKind } from "./unknown-kinds.ts";

/** One webhook delivery as it came off the wire: its Content-Type, the two Telnyx headers and the raw body bytes. */
export interface Delivery {
  /** The `Content-Type` header as received (undefined when absent): says how to decode the body. */
  readonly contentType: string | undefined;
  readonly timestampHeader: HeaderValue;
  readonly signatureHeader: HeaderValue;
  readonly body: Uint8Array;
  /** Posted to a TeXML per-kind path (`<path>/texml/<kind>`): the body is validated as that kind. */
  readonly texmlKind?: TexmlKind;
}

/** The event was handed to the sink, or had been already (a redelivery): answer 200. */
export interface Accepted {
  readonly ok: true;
  readonly id: string;
  readonly duplicate: boolean;
  /** Not handed on: its type is not kept by `--events`. */
  readonly filtered?: true;
  /**
   * The downstream's TeXML answer (synchronous forwarding, XML 2xx body), to pass back to Telnyx
   * unchanged; undefined: answer the default. A duplicate has none (it was not forwarded again).
   */
  readonly reply?: string;
}

/**
 * The last two stages, dedup → sink: hands a valid event on unless its id was accepted already. In
 * one process it is `dedupThenDeliver(dedup, sink)` (src/pipeline/hand-on.ts); in a worker process
 * it asks the process that owns the dedup set and the sink (src/workers/).
 */
export type HandOn = (event: EncodedEvent) => Promise<Delivered | Rejection | "duplicate">;

/** What {@link createRelay} needs. */
export interface RelayOptions {
  readonly verify: Verifier;
  readonly handOn: HandOn;
  readonly deadLetters: BoundedDeadLetterFile;
  readonly metrics: Metrics;
  readonly now: () => number;
  /** Whether events of a CloudEvents type are handed on (`--events`); all are when absent. */
  readonly keep?: ((type: string) => boolean) | undefined;
  /** Where the once-per-kind warning about an unknown event type goes (the logger's `warn`). */
  readonly warn?: (message: string, fields: Readonly<Record<string, unknown>>) => void;
}

/** The whole request path after the body is read, independent of any HTTP library. */
export type Relay = (delivery: Delivery) => Promise<Accepted | Rejection>;

/**
 * Makes the relay's core: the media type, then the stage chain (src/pipeline/stages.ts: verify →
 * decode (by content type) → recognise → (`--events`) filter → validate → event id → CloudEvent),
 * then the dead letter or the hand-on (dedup → sink), every step after verification driven
 * by the event-type registry (src/events/). A delivery to a TeXML per-kind path (`texmlKind`) is
 * validated as that kind (src/events/texml-paths.ts); any other is recognised by its fields. A body
 * of a type the relay does not know is validated as generic and handed on (counted, and warned about
 * once per kind), not refused: typed by its `event_type` when that is well-formed, else its media
 * type's generic type.
 *
 * A Content-Type that no registered type uses is refused (415) before anything else, as the HTTP
 * handler does before reading the body. Nothing is parsed before the signature holds. A signed
 * delivery that is not a valid event is written to the dead-letter file before it is refused (and
 * refused with 503 if that write fails, so Telnyx delivers it again): a signed event is never dropped.
 *
 * @param options The verifier, the dedup and sink stages, the dead-letter file, metrics and the clock.
 * @returns A function from a delivery to its outcome.
 * @example
 * ```ts
 * const relay = createRelay({ verify, handOn: dedupThenDeliver(dedup, sink), deadLetters, metrics, now: Date.now });
 * const outcome = await relay({ contentType, timestampHeader, signatureHeader, body });
 * ```
 */
export function createRelay(options: RelayOptions): Relay {
  const { verify, handOn, deadLetters, metrics, now, keep } = options;
  const unknownKind = warnOncePerKind(options.warn ?? (() => {}));
  const stages: StageOptions = {
    verify,
    keep,
    recognised: (type, body) => {
      if (!type.generic) return;
      metrics.unknown(type.type);
      unknownKind(type.type, body.media === "json" ? body.eventType : undefined);
    },
  };

  async function refuse(delivery: Delivery, bytes: Uint8Array, invalid: Rejection): Promise<Rejection> {
    const kept = await deadLetters.append({
      receivedAt: new Date(now()).toISOString(),
      reason: "invalid_event",
      detail: invalid.detail,
      headers: {
        // verify() accepted them, so each is a single string.
        "telnyx-timestamp": String(delivery.timestampHeader),
        "telnyx-signature-ed25519": String(delivery.signatureHeader),
      },
      ...(delivery.contentType === undefined ? {} : { contentType: delivery.contentType }),
      ...(delivery.texmlKind === undefined ? {} : { texmlKind: delivery.texmlKind }),
      ...rawBody(bytes),
    });
    // "duplicate": the same delivery is in the file already, kept once.
    if (kept === "full") {
      return reject("dead_letter_unavailable", `${invalid.detail}; and the dead-letter file is full (--dead-letter-max-bytes), so it was not kept`);
    }
    if (kept === "failed") {
      return reject("dead_letter_unavailable", `${invalid.detail}; and the dead-letter file could not be written, so it was not kept`);
    }
    if (kept === "late") {
      // The write goes on: Telnyx's redelivery finds it there (400) once it is on disk.
      return reject("dead_letter_unavailable", `${invalid.detail}; and the dead-letter file's disk did not confirm the write in time, so it is not kept yet`);
    }
    return invalid;
  }

  return async function relay(delivery) {
    const media = acceptedMediaType(delivery.contentType);
    // A per-kind path is a TeXML (form) path.
    if (media === undefined || (delivery.texmlKind !== undefined && media !== "form")) return unsupportedMediaType();

    const outcome = runStages({ ...delivery, media }, stages);
    if (outcome.kind === "unsigned") {
      metrics.verificationFailure(outcome.rejection.reason);
      return outcome.rejection;
    }
    // A JSON body over the JSON limit is refused as a body over --body-limit is: 413, not kept.
    if (outcome.kind === "invalid") return outcome.rejection.reason === "too_large" ? outcome.rejection : refuse(delivery, outcome.body, outcome.rejection);
    if (outcome.kind === "filtered") {
      // Signed, and not wanted: answered 200 so Telnyx does not retry, and not validated or kept.
      metrics.filtered(outcome.type.type);
      return { ok: true, id: outcome.id, duplicate: false, filtered: true };
    }

    // The dedup check sits inside handOn (pipeline/hand-on.ts, or in the main process for a
    // worker), which takes the encoded event because a worker must send it on in one message.
    const { id, type, event } = outcome;
    const delivered = await handOn(event);
    if (delivered === "duplicate") {
      metrics.duplicate(type.type);
      return { ok: true, id, duplicate: true };
    }
    if (!delivered.ok) return delivered;
    metrics.accepted(type.type);
    return delivered.reply === undefined ? { ok: true, id, duplicate: false } : { ok: true, id, duplicate: false, reply: delivered.reply };
  };
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** The body for a dead letter: as text when that loses nothing, else as base64. */
function rawBody(bytes: Uint8Array): { body: string } | { bodyBase64: string } {
  try {
    return { body: strictUtf8.decode(bytes) };
  } catch {
    return { bodyBase64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64") };
  }
}
