import type { EncodedEvent } from "../pipeline/cloud-event.ts";
import { reject, type Rejection } from "../pipeline/rejection.ts";
import type { PostEvent } from "../transports/http/post-event.ts";
import type { Metrics } from "../lib/metrics.ts";
import type { Delivered, Sink } from "./sink.ts";

/** What {@link createForwardSink} needs. */
export interface ForwardSinkOptions {
  readonly post: PostEvent;
  /** Drops the poster's connections. */
  readonly closePoster: () => void;
  readonly metrics: Metrics;
  readonly now: () => number;
}

const DELIVERED: Delivered = { ok: true };
const UNREACHABLE_MS = 5_000;

/**
 * The synchronous forwarding sink: an event is delivered when the downstream answered 2xx to it,
 * within the poster's deadline. Anything else is a `sink_unavailable` rejection, so Telnyx gets 503
 * and delivers again (or fails over): nothing is kept locally, and nothing is lost.
 *
 * @param options The poster and metrics.
 * @returns The sink.
 * @example
 * ```ts
 * const sink = createForwardSink({ post, closePoster, metrics, now: Date.now });
 * ```
 */
export function createForwardSink(options: ForwardSinkOptions): Sink {
  const { post, closePoster, metrics, now } = options;
  // Not ready for a while after an attempt that did not reach the downstream (network error or
  // timeout); then ready again, so a readiness-gated load balancer lets traffic test it again.
  let unreachableAt: number | undefined;

  async function deliver(event: EncodedEvent): Promise<Delivered | Rejection> {
    const started = now();
    const result = await post(event);
    unreachableAt = result.kind === "retry" && result.status === undefined ? now() : undefined;
    if (result.kind === "delivered") {
      metrics.forwarded((now() - started) / 1000);
      return DELIVERED;
    }
    const why = result.kind === "reject" ? `the downstream answered ${result.status}` : result.reason;
    return reject("sink_unavailable", `not forwarded: ${why}`);
  }

  return {
    name: "forward",
    deliver,
    ready: () => unreachableAt === undefined || now() - unreachableAt > UNREACHABLE_MS,
    async close() {
      closePoster();
    },
  };
}
