import type { EncodedEvent } from "./cloud-event.ts";
import type { Dedup } from "./dedup.ts";
import type { Delivered } from "./delivered.ts";
import type { Rejection } from "./rejection.ts";
import type { HandOn } from "./relay.ts";

/** What {@link createHandOn} hands events to: a sink (src/sinks/sink.ts), seen from here. */
export interface HandOnSink {
  deliver(event: EncodedEvent): Promise<Delivered | Rejection>;
  /** Telnyx gets the downstream's answer to each event (synchronous forwarding over HTTP). */
  readonly answers?: boolean;
}

/**
 * The relay's last two stages in the process that owns them: dedup, then the sink.
 *
 * An event whose id was accepted within the window is answered `duplicate` and not delivered
 * again, except a TeXML callback when the sink passes the downstream's answer back to Telnyx:
 * there Telnyx acts on the answer (the next verbs after a `<Gather>`, a `<Refer>`, …), and a
 * `duplicate` could only be answered with the default `<Response/>`, which ends the call. So every
 * delivery of it goes to the downstream, and Telnyx gets the downstream's answer or a 503. Its id
 * says whether it is a copy (docs/events.md "Event ids").
 *
 * @param dedup The process's dedup set.
 * @param sink Where events go.
 * @returns The hand-on stage for the relay core (RelayOptions.handOn) or the workers' channel.
 * @example
 * ```ts
 * const handOn = createHandOn(createDedup({ windowMs: 3_600_000, maxEntries: 250_000, now: Date.now }), sink);
 * ```
 */
export function createHandOn(dedup: Dedup, sink: HandOnSink): HandOn {
  if (sink.answers === true) return (event) => (event.texml === true ? sink.deliver(event) : dedup.once(event.id, () => sink.deliver(event)));
  return (event) => dedup.once(event.id, () => sink.deliver(event));
}
