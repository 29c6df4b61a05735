import type { EncodedEvent } from "../pipeline/cloud-event.ts";
import type { Delivered } from "../pipeline/delivered.ts";
import type { Rejection } from "../pipeline/rejection.ts";

// The words for passing an event on, one meaning each:
// - handOn: the relay's last stage (src/pipeline/relay.ts): dedup, then the sink, or in a worker
//   process the main process's dedup and sink over the channel.
// - deliver: what a sink does (Sink.deliver: take the event, resolve once it is safe: written,
//   forwarded, or on disk), and what the spool's background deliverer does (Deliverer.deliver:
//   keep trying until the transport delivered it or it is dead-lettered).
// - send: one attempt of a transport (Transport.send, src/transports/transport.ts) to move the
//   event out of the process: delivered, retry or refuse.
// Nothing else: no post, no enqueue.

export { DELIVERED, type Delivered } from "../pipeline/delivered.ts";

/**
 * Where verified, valid events go. The relay answers Telnyx 200 only after `deliver` resolves ok;
 * a rejection (for example `sink_unavailable`) becomes a 503 so that Telnyx delivers again.
 * A sink owns what it opened (streams excepted: stdout is the caller's): `close` lets go of its
 * transport, journal and lock.
 */
export interface Sink {
  readonly name: string;
  /** Spooled sinks: events recovered from disk at start-up. */
  readonly recovered?: number;
  /**
   * Telnyx gets the downstream's answer to each event (synchronous forwarding over HTTP, where an
   * XML answer is passed back): a TeXML callback then goes to the downstream on every delivery.
   */
  readonly answers?: boolean;
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
