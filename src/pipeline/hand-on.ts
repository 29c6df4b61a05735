import type { EncodedEvent } from "./cloud-event.ts";
import type { Dedup } from "./dedup.ts";
import type { Delivered } from "./delivered.ts";
import type { Rejection } from "./rejection.ts";
import type { HandOn } from "./relay.ts";

/** Where a valid event goes after the dedup stage: the part of a sink (src/sinks/sink.ts) the relay uses. */
export interface EventSink {
  deliver(event: EncodedEvent): Promise<Delivered | Rejection>;
}

/**
 * The relay's last two stages in one process: dedup → sink. An event whose id was accepted within
 * the window is answered `"duplicate"` without reaching the sink; the id is remembered only once the
 * sink took the event. (A worker process hands on over its channel instead, to the main process's
 * own `dedupThenDeliver`: src/workers/.)
 *
 * @param dedup The dedup stage.
 * @param sink Where events go.
 * @returns The relay's hand-on stage.
 * @example
 * ```ts
 * const relay = createRelay({ verify, handOn: dedupThenDeliver(dedup, sink), deadLetters, metrics, now: Date.now });
 * ```
 */
export function dedupThenDeliver(dedup: Dedup, sink: EventSink): HandOn {
  return (event) => dedup.once(event.id, () => sink.deliver(event));
}
