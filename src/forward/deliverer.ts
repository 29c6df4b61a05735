import type { Logger } from "../log.ts";
import type { Metrics } from "../metrics.ts";
import type { DeadLetterFile } from "../sinks/dead-letter.ts";
import type { SpooledEvent } from "../spool/journal.ts";
import type { PostEvent } from "./post-event.ts";

/** What {@link createDeliverer} needs. */
export interface DelivererOptions {
  readonly post: PostEvent;
  /** Marks an event done in the spool (acknowledged or dead-lettered). */
  readonly ack: (id: string) => void;
  readonly deadLetters: DeadLetterFile;
  /** Forward requests in flight at once. */
  readonly concurrency: number;
  /** The first retry waits up to this long (then doubling). */
  readonly baseDelayMs: number;
  /** The cap of the backoff. */
  readonly maxDelayMs: number;
  /** A random number in [0, 1): the jitter. */
  readonly random: () => number;
  readonly now: () => number;
  readonly log: Logger;
  readonly metrics: Metrics;
}

/** The background deliverer of spooled events. */
export interface Deliverer {
  /** Takes a spooled event (already durable) to deliver. */
  enqueue(event: SpooledEvent): void;
  /** Events waiting or in flight. */
  outstanding(): number;
  /** Stops: no new attempts, pending retries dropped (they stay in the spool for the next start). */
  stop(): void;
}

// A downstream asking for more than this in Retry-After is waited for only this long.
const MAX_RETRY_AFTER_MS = 3_600_000;

interface Attempt {
  readonly event: SpooledEvent;
  tries: number;
}

/**
 * Makes the deliverer: sends spooled events downstream with bounded concurrency and retries with
 * capped exponential backoff and full jitter (a random wait in [0, min(cap, base·2^n))), honouring
 * `Retry-After`. 2xx acknowledges; 408, 429, 5xx and network errors retry; any other answer is
 * final: the event goes to the dead-letter file with the response, and is then acknowledged.
 *
 * @param options The poster, the spool's ack, the dead-letter file, limits, clock and randomness.
 * @returns The deliverer.
 * @example
 * ```ts
 * const deliverer = createDeliverer({ post, ack: journal.ack, deadLetters, concurrency: 8, baseDelayMs: 500, maxDelayMs: 300_000, random: Math.random, now: Date.now, log, metrics });
 * for (const event of journal.recovered) deliverer.enqueue(event);
 * ```
 */
export function createDeliverer(options: DelivererOptions): Deliverer {
  const { post, ack, deadLetters, concurrency, baseDelayMs, maxDelayMs, random, now, log, metrics } = options;
  const ready: Attempt[] = [];
  const waiting = new Set<ReturnType<typeof setTimeout>>();
  let running = 0;
  let stopped = false;

  const pump = (): void => {
    while (!stopped && running < concurrency && ready.length > 0) {
      void attempt(ready.shift() as Attempt);
    }
  };

  const later = (item: Attempt, delayMs: number): void => {
    const timer = setTimeout(() => {
      waiting.delete(timer);
      ready.push(item);
      pump();
    }, delayMs);
    waiting.add(timer);
  };

  async function attempt(item: Attempt): Promise<void> {
    running++;
    item.tries++;
    const result = await post(item.event);
    running--;
    if (stopped) return;
    const { id } = item.event;
    if (result.kind === "delivered") {
      ack(id);
      metrics.forwarded((now() - item.event.acceptedAt) / 1000);
    } else if (result.kind === "reject") {
      const kept = await deadLetters.write({
        receivedAt: new Date(item.event.acceptedAt).toISOString(),
        reason: "downstream_rejected",
        detail: `the downstream answered ${result.status}; not retried`,
        id,
        response: { status: result.status, bodyExcerpt: result.bodyExcerpt },
        event: item.event.json,
      });
      if (stopped) return;
      if (kept) {
        ack(id);
        metrics.deadLettered();
        log.warn("event dead-lettered", { id, status: result.status, file: deadLetters.path });
      } else {
        log.error("dead-letter file not writable; the event stays spooled", { id, file: deadLetters.path });
        later(item, backoff(item.tries));
      }
    } else {
      metrics.retry();
      // Retry-After is a floor, never a reason to skip the backoff (a "Retry-After: 0" loop).
      const delay = Math.max(Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS), backoff(item.tries));
      log.debug("forward failed; retrying", { id, tries: item.tries, reason: result.reason, status: result.status, delayMs: Math.round(delay) });
      later(item, delay);
    }
    pump();
  }

  const backoff = (tries: number): number => random() * Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(tries - 1, 30));

  return {
    enqueue(event) {
      ready.push({ event, tries: 0 });
      pump();
    },
    outstanding: () => ready.length + waiting.size + running,
    stop() {
      stopped = true;
      for (const timer of waiting) clearTimeout(timer);
      waiting.clear();
    },
  };
}
