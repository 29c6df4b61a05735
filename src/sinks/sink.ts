import type { EncodedEvent } from "../pipeline/cloud-event.ts";
import type { Rejection } from "../pipeline/rejection.ts";

/** The sink took the event: from now on, losing it is the sink's failure, not the sender's. */
export interface Delivered {
  readonly ok: true;
}

/**
 * Where verified, valid events go. The relay answers Telnyx 200 only after `deliver` resolves ok;
 * a rejection (for example `sink_unavailable`) becomes a 503 so that Telnyx delivers again.
 */
export interface Sink {
  readonly name: string;
  /** Spooled sinks: events recovered from disk at start-up. */
  readonly recovered?: number;
  /**
   * Hands one event on. Resolves once the event is out of the relay's hands, or with a rejection
   * when that cannot happen within the sink's deadline. Never throws for an expected failure.
   */
  deliver(event: EncodedEvent): Promise<Delivered | Rejection>;
  /** True while the sink can take events (for `GET /readyz`). */
  ready(): boolean;
  /** Waits, at most `timeoutMs`, for everything already taken to be handed on or made durable, then lets go of its resources. */
  close(timeoutMs: number): Promise<void>;
}
