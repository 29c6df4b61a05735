import type { Logger } from "../lib/log.ts";
import type { Metrics } from "../lib/metrics.ts";
import type { DeadLetterFile } from "../sinks/dead-letter.ts";
import type { SpooledEvent } from "../spool/journal.ts";
import type { PostEvent } from "./http/post-event.ts";
import { createQueue } from "../lib/queue.ts";

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
  /** Events waiting (queued or held back by the backoff) or in flight. */
  outstanding(): number;
  /** Stops: no new attempts, pending retries dropped (they stay in the spool for the next start). */
  stop(): void;
}

// A downstream asking for more than this in Retry-After is waited for only this long.
const MAX_RETRY_AFTER_MS = 3_600_000;

interface Attempt {
  readonly event: SpooledEvent;
  tries: number;
  /** Set once the downstream refused it for good: only the dead-letter write is left to do. */
  refused?: { readonly status: number; readonly bodyExcerpt: string };
}

/**
 * Makes the deliverer: sends spooled events downstream with bounded concurrency. 2xx acknowledges;
 * 408, 429, 5xx and network errors retry; any other answer is final: the event goes to the
 * dead-letter file with the response, and is then acknowledged.
 *
 * Backoff is per downstream, not per event: a failure closes a gate for all events, for a capped
 * exponential delay with full jitter (a random wait in [0, min(cap, base·2^n)), n counting failures
 * since the last success), or for `Retry-After` when that is longer. A 20,000-event backlog against
 * a downstream that is down then costs one probe per delay, not 20,000 retries, and the first
 * success opens the gate for everything. A failed event goes to the back of the queue, so one
 * event the downstream chokes on does not hold up the others.
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
  const ready = createQueue<Attempt>();
  let running = 0;
  let stopped = false;
  // Failures since the last success, and the timer that holds every attempt back meanwhile.
  let failures = 0;
  let gate: ReturnType<typeof setTimeout> | undefined;

  const pump = (): void => {
    while (!stopped && gate === undefined && running < concurrency && ready.size() > 0) {
      void attempt(ready.shift() as Attempt);
    }
  };

  const closeGate = (delayMs: number): void => {
    if (gate !== undefined || stopped) return;
    gate = setTimeout(() => {
      gate = undefined;
      pump();
    }, delayMs);
  };

  async function attempt(item: Attempt): Promise<void> {
    running++;
    try {
      if (item.refused === undefined) await send(item);
      if (!stopped && item.refused !== undefined) await deadLetter(item, item.refused);
    } finally {
      running--;
    }
    pump();
  }

  async function send(item: Attempt): Promise<void> {
    item.tries++;
    const result = await post(item.event);
    if (stopped) return;
    if (result.kind === "delivered") {
      failures = 0;
      ack(item.event.id);
      metrics.forwarded((now() - item.event.acceptedAt) / 1000);
    } else if (result.kind === "reject") {
      failures = 0; // the downstream is up; it just does not want this one
      item.refused = { status: result.status, bodyExcerpt: result.bodyExcerpt };
    } else {
      metrics.retry();
      failures++;
      // Retry-After is a floor, never a reason to skip the backoff (a "Retry-After: 0" loop).
      const delay = Math.max(Math.min(result.retryAfterMs ?? 0, MAX_RETRY_AFTER_MS), backoff(failures));
      log.debug("forward failed; retrying", { id: item.event.id, tries: item.tries, reason: result.reason, status: result.status, delayMs: Math.round(delay) });
      ready.push(item);
      closeGate(delay);
    }
  }

  async function deadLetter(item: Attempt, refused: { readonly status: number; readonly bodyExcerpt: string }): Promise<void> {
    const { id } = item.event;
    const kept = await deadLetters.write({
      receivedAt: new Date(item.event.acceptedAt).toISOString(),
      reason: "downstream_rejected",
      detail: `the downstream answered ${refused.status}; not retried`,
      id,
      response: refused,
      event: item.event.json,
    });
    if (stopped) return;
    if (kept) {
      ack(id);
      metrics.deadLettered();
      log.warn("event dead-lettered", { id, status: refused.status, file: deadLetters.path });
    } else {
      // Only the write is tried again (the downstream's answer is kept), after a pause.
      log.error("dead-letter file not writable; the event stays spooled", { id, file: deadLetters.path });
      ready.push(item);
      closeGate(backoff(++failures));
    }
  }

  const backoff = (n: number): number => random() * Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(n - 1, 30));

  return {
    enqueue(event) {
      ready.push({ event, tries: 0 });
      pump();
    },
    outstanding: () => ready.size() + running,
    stop() {
      stopped = true;
      ready.clear(); // still in the spool: the next start sends them
      if (gate !== undefined) clearTimeout(gate);
      gate = undefined;
    },
  };
}
