import type { EncodedEvent } from "../pipeline/cloud-event.ts";

/**
 * What a transport sends: the event's id (stable across retries and redeliveries, so receivers can
 * deduplicate) and its CloudEvent JSON. Only these two, so that an event recovered from the spool
 * (which keeps just them) can be sent like a fresh one.
 */
export type Outgoing = Pick<EncodedEvent, "id" | "json">;

/** What one attempt to send an event came to. */
export type SendOutcome =
  /**
   * The receiver has the event: its whole acknowledgement arrived. `reply`: a TeXML document it
   * answered with (HTTP: a 2xx with an XML body, within a size bound), for the synchronous sink to
   * pass back to Telnyx.
   */
  | { readonly kind: "delivered"; readonly reply?: string }
  /**
   * Worth trying again (the receiver is down, busy, slow, or its answer was cut off). `afterMs`: the
   * receiver asked to wait at least this long. `reached`: false when the receiver could not be
   * reached at all (connection refused, timeout, cut off), which makes a synchronous sink not ready
   * for a while.
   */
  | { readonly kind: "retry"; readonly reason: string; readonly afterMs?: number; readonly reached: boolean }
  /**
   * The receiver refused it for good: retrying cannot help. `answer` is the receiver's answer in the
   * transport's own terms (for HTTP `{ status, bodyExcerpt }`), kept with the dead letter.
   */
  | { readonly kind: "refuse"; readonly detail: string; readonly answer: Readonly<Record<string, string | number>> };

/**
 * How an event leaves the relay (HTTP POST today; NATS JetStream next). A transport knows nothing of
 * when Telnyx gets its 200: the synchronous sink and the spool's background deliverer both take any
 * transport and decide that.
 */
export interface Transport {
  /** Sends one event, once. Never throws: every failure is an outcome. */
  send(event: Outgoing): Promise<SendOutcome>;
  /** Lets go of connections; attempts in flight are cut and resolve as retries (or not at all). */
  close(): Promise<void>;
}
