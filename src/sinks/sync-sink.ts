import type { EncodedEvent } from "../pipeline/cloud-event.ts";
import { reject, type Rejection } from "../pipeline/rejection.ts";
import type { Transport } from "../transports/transport.ts";
import type { Metrics } from "../lib/metrics.ts";
import { DELIVERED, type Delivered, type Sink } from "./sink.ts";

/** What {@link createSyncSink} needs. */
export interface SyncSinkOptions {
  /** How events are sent; the sink closes it. */
  readonly transport: Transport;
  readonly metrics: Metrics;
  readonly now: () => number;
  /** What the `listening` log line calls it: "forward" (HTTP POST, the default) or "nats". */
  readonly name?: string;
  /** The transport's answers can go back to Telnyx (HTTP: a TeXML document); see Sink.answers. */
  readonly answers?: boolean;
}

const UNREACHABLE_MS = 5_000;

/**
 * The synchronous forwarding sink: an event is delivered when the transport delivered it (for
 * HTTP: the downstream answered 2xx, in full, within the forward timeout). Anything else is a
 * `sink_unavailable` rejection, so Telnyx gets 503 and delivers again (or fails over): nothing is
 * kept locally, and nothing is lost.
 *
 * @param options The transport, metrics and the clock.
 * @returns The sink (named "forward").
 * @example
 * ```ts
 * const sink = createSyncSink({ transport: createHttpTransport(forward, 64, Date.now), metrics, now: Date.now });
 * ```
 */
export function createSyncSink(options: SyncSinkOptions): Sink {
  const { transport, metrics, now } = options;
  // Not ready for a while after an attempt that did not reach the downstream (network error,
  // timeout, an answer cut off); then ready again, so a readiness-gated load balancer lets traffic
  // test it again.
  let unreachableAt: number | undefined;

  async function deliver(event: EncodedEvent): Promise<Delivered | Rejection> {
    const started = now();
    const outcome = await transport.send(event);
    unreachableAt = outcome.kind === "retry" && !outcome.reached ? now() : undefined;
    if (outcome.kind === "delivered") {
      metrics.forwarded((now() - started) / 1000);
      // The downstream's TeXML answer goes back to Telnyx (see Accepted.reply).
      return outcome.reply === undefined ? DELIVERED : { ok: true, reply: outcome.reply };
    }
    return reject("sink_unavailable", `not forwarded: ${outcome.kind === "refuse" ? outcome.detail : outcome.reason}`);
  }

  return {
    name: options.name ?? "forward",
    answers: options.answers === true,
    deliver,
    ready: () => unreachableAt === undefined || now() - unreachableAt > UNREACHABLE_MS,
    close: () => transport.close(),
  };
}
