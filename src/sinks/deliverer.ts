import type { Logger } from "../lib/log.ts";
import type { Metrics } from "../lib/metrics.ts";
import type { SpooledEvent } from "../spool/journal.ts";
import type { Transport } from "../transports/transport.ts";
import { createQueue } from "../lib/queue.ts";
import type { BoundedDeadLetterFile } from "../lib/dead-letter-file.ts";

/** What {@link createDeliverer} needs. */
export interface DelivererOptions {
  /** How events are sent (any transport); the deliverer does not close it. */
  readonly transport: Transport;
  /** Marks an event done in the spool (acknowledged or dead-lettered). */
  readonly ack: (id: string) => void;
  readonly deadLetters: BoundedDeadLetterFile;
  /** Sends in flight at once. */
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
  /** Takes a spooled event (already durable) and delivers it in the background, retrying until it is done. */
  deliver(event: SpooledEvent): void;
  /** Events waiting (queued or held back by the backoff) or in flight. */
  outstanding(): number;
  /** Stops: no new attempts, pending retries dropped (they stay in the spool for the next start). */
  stop(): void;
}

// A downstream asking to wait longer than this is waited for only this long.
const MAX_RETRY_AFTER_MS = 3_600_000;

/** A refusal for good, as the transport described it. */
interface Refusal {
  readonly detail: string;
  readonly answer: Readonly<Record<string, string | number>>;
}

interface Attempt {
  readonly event: SpooledEvent;
  tries: number;
  /** Set once the downstream refused it for good: only the dead-letter write is left to do. */
  refused?: Refusal;
}

/**
 * Makes the deliverer: sends spooled events through a transport with bounded concurrency. What the
 * transport calls delivered is acknowledged in the spool; a retry is retried; a refusal is final:
 * the event goes to the dead-letter file with the downstream's answer, and is then acknowledged.
 *
 * Backoff is per downstream, not per event: a failure closes a gate for all events, for a capped
 * exponential delay with full jitter (a random wait in [0, min(cap, base·2^n)), n counting failures
 * since the last success), or for the wait the downstream asked for (HTTP `Retry-After`) when that is longer. A 20,000-event backlog against
 * a downstream that is down then costs one probe per delay, not 20,000 retries, and the first
 * success opens the gate for everything. A failed event goes to the back of the queue, so one
 * event the downstream chokes on does not hold up the others.
 *
 * @param options The transport, the spool's ack, the dead-letter file, limits, clock and randomness.
 * @returns The deliverer.
 * @example
 * ```ts
 * const deliverer = createDeliverer({ transport, ack: journal.ack, deadLetters, concurrency: 8, baseDelayMs: 500, maxDelayMs: 300_000, random: Math.random, now: Date.now, log, metrics });
 * for (const event of journal.recovered) deliverer.deliver(event);
 * ```
 */
export function createDeliverer(options: DelivererOptions): Deliverer {
  // One closure of ~130 lines on purpose: pump, attempt, send and deadLetter share the queue, the
  // backoff gate and the failure count; each of them is short.
  const { transport, ack, deadLetters, concurrency, baseDelayMs, maxDelayMs, random, now, log, metrics } = options;
  const ready = createQueue<Attempt>();
  let running = 0;
  let stopped = false;
  // Failures since the last success, and the timer that holds every attempt back meanwhile.
  let failures = 0;
  let gate: ReturnType<typeof setTimeout> | undefined;
  // Since when the downstream has been failing (undefined: it is not): one warning when it starts,
  // one info line when it answers again, whatever the number of attempts between (those are debug).
  let failingSince: number | undefined;
  let failedAttempts = 0;
  const answered = (): void => {
    failures = 0;
    if (failingSince === undefined) return;
    log.info("downstream recovered", { failedAttempts, failingForMs: now() - failingSince });
    failingSince = undefined;
    failedAttempts = 0;
  };

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
    const outcome = await transport.send(item.event);
    if (stopped) return;
    if (outcome.kind === "delivered") {
      answered();
      ack(item.event.id);
      metrics.forwarded((now() - item.event.acceptedAt) / 1000);
    } else if (outcome.kind === "refuse") {
      answered(); // the downstream is up; it just does not want this one
      item.refused = { detail: outcome.detail, answer: outcome.answer };
    } else {
      metrics.retry();
      failures++;
      failedAttempts++;
      if (failingSince === undefined) {
        failingSince = now();
        log.warn("downstream failing; events stay spooled and are retried", { reason: outcome.reason, id: item.event.id });
      }
      // The asked-for wait is a floor, never a reason to skip the backoff (a "Retry-After: 0" loop).
      const delay = Math.max(Math.min(outcome.afterMs ?? 0, MAX_RETRY_AFTER_MS), backoff(failures));
      log.debug("forward failed; retrying", { id: item.event.id, tries: item.tries, reason: outcome.reason, delayMs: Math.round(delay) });
      ready.push(item);
      closeGate(delay);
    }
  }

  async function deadLetter(item: Attempt, refused: Refusal): Promise<void> {
    const { id } = item.event;
    const result = await deadLetters.append({
      receivedAt: new Date(item.event.acceptedAt).toISOString(),
      reason: "downstream_rejected",
      detail: `${refused.detail}; not retried`,
      id,
      response: refused.answer,
      event: item.event.json,
    });
    if (stopped) return;
    if (result === "kept" || result === "duplicate") {
      // Counted by the file (telnyx_relay_events_dead_lettered_total), whoever wrote it.
      ack(id);
      log.warn("event dead-lettered", { id, detail: refused.detail, file: deadLetters.path, ...(result === "duplicate" ? { alreadyThere: true } : {}) });
    } else if (result === "full") {
      // The file is at --dead-letter-max-bytes: the event stays spooled and its write is tried
      // again later, without holding up the events the downstream does take.
      log.error("dead-letter file full; the event stays spooled", { id, file: deadLetters.path });
      park(item);
    } else {
      // Only the write is tried again (the downstream's answer is kept), after a pause. A late
      // write goes on: the next try finds it there (duplicate) once it is on disk.
      if (result === "late") log.warn("dead-letter file slow: its disk did not confirm the write in time; the event stays spooled", { id, file: deadLetters.path });
      else log.error("dead-letter file not writable; the event stays spooled", { id, file: deadLetters.path });
      ready.push(item);
      closeGate(backoff(++failures));
    }
  }

  // Refused events waiting for room in a full dead-letter file: re-queued together, once a cap of
  // the backoff has passed (one timer for all of them).
  const parked: Attempt[] = [];
  let parkTimer: ReturnType<typeof setTimeout> | undefined;
  const park = (item: Attempt): void => {
    parked.push(item);
    parkTimer ??= setTimeout(() => {
      parkTimer = undefined;
      for (const waiting of parked.splice(0)) ready.push(waiting);
      pump();
    }, maxDelayMs);
  };

  const backoff = (n: number): number => random() * Math.min(maxDelayMs, baseDelayMs * 2 ** Math.min(n - 1, 30));

  return {
    deliver(event) {
      ready.push({ event, tries: 0 });
      pump();
    },
    outstanding: () => ready.size() + running,
    stop() {
      stopped = true;
      ready.clear(); // still in the spool: the next start sends them
      parked.length = 0;
      if (parkTimer !== undefined) clearTimeout(parkTimer);
      if (gate !== undefined) clearTimeout(gate);
      gate = undefined;
    },
  };
}
