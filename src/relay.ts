import { Buffer } from "node:buffer";
import { encodeCloudEvent } from "./pipeline/cloud-event.ts";
import { eventId } from "./pipeline/event-id.ts";
import { parseForm } from "./pipeline/parse-form.ts";
import { reject, type Rejection } from "./pipeline/rejection.ts";
import { validateReferStatus } from "./pipeline/validate.ts";
import type { HeaderValue, Verifier } from "./pipeline/verify.ts";
import type { DeadLetterFile } from "./sinks/dead-letter.ts";
import type { Sink } from "./sinks/sink.ts";

/** One webhook delivery as it came off the wire: the two Telnyx headers and the raw body bytes. */
export interface Delivery {
  readonly timestampHeader: HeaderValue;
  readonly signatureHeader: HeaderValue;
  readonly body: Uint8Array;
}

/** The event was handed to the sink: answer 200. */
export interface Accepted {
  readonly ok: true;
  readonly id: string;
}

/** What {@link createRelay} needs. */
export interface RelayOptions {
  readonly verify: Verifier;
  readonly sink: Sink;
  readonly deadLetters: DeadLetterFile;
  readonly now: () => number;
}

/** The whole request path after the body is read, independent of any HTTP library. */
export type Relay = (delivery: Delivery) => Promise<Accepted | Rejection>;

/**
 * Makes the relay's core: verify → parse → validate → CloudEvent → sink.
 *
 * Nothing is parsed before the signature holds. A signed delivery that is not a valid event is
 * written to the dead-letter file before it is refused (and refused with 503 if that write fails,
 * so Telnyx delivers it again): a signed event is never dropped.
 *
 * @param options The verifier, the sink, the dead-letter file and the clock.
 * @returns A function from a delivery to its outcome.
 * @example
 * ```ts
 * const relay = createRelay({ verify, sink, deadLetters, now: Date.now });
 * const outcome = await relay({ timestampHeader, signatureHeader, body });
 * ```
 */
export function createRelay(options: RelayOptions): Relay {
  const { verify, sink, deadLetters, now } = options;

  return async function relay(delivery) {
    const verified = verify(delivery.timestampHeader, delivery.signatureHeader, delivery.body);
    if (!verified.ok) return verified;

    const fields = parseForm(verified.body);
    const valid = validateReferStatus(fields);
    if (!valid.ok) {
      const kept = await deadLetters.write({
        receivedAt: new Date(now()).toISOString(),
        reason: valid.reason,
        detail: valid.detail,
        headers: {
          // verify() accepted them, so each is a single string.
          "telnyx-timestamp": String(delivery.timestampHeader),
          "telnyx-signature-ed25519": String(delivery.signatureHeader),
        },
        body: Buffer.from(verified.body.buffer, verified.body.byteOffset, verified.body.byteLength).toString("utf8"),
      });
      if (!kept) {
        return reject("dead_letter_unavailable", `${valid.detail}; and the dead-letter file could not be written, so it was not kept`);
      }
      return valid;
    }

    const id = eventId(fields);
    const delivered = await sink.deliver(encodeCloudEvent(valid.event, id));
    if (!delivered.ok) return delivered;
    return { ok: true, id };
  };
}
