import { createIdTable } from "../lib/id-table.ts";

/** What {@link createDedup} needs. */
export interface DedupOptions {
  /** How long an accepted id is remembered; 0 turns deduplication off. */
  readonly windowMs: number;
  /** The most ids remembered; the oldest are forgotten first past it (bounds memory under a flood). */
  readonly maxEntries: number;
  readonly now: () => number;
}

/** Remembers the ids of accepted events for a while. */
export interface Dedup {
  /**
   * Runs `accept` for an event unless its id was accepted within the window. Concurrent calls for
   * one id share the first call's outcome: if it is accepted, the others are duplicates; if not,
   * they get the same refusal at the same time (each would otherwise wait out its own attempt in
   * turn, far past any deadline). The id is remembered only once `accept` resolves `{ ok: true }`.
   * A call for an id already remembered resolves `"duplicate"` at the end of the event loop's turn
   * (in its check phase), with every other such call of that turn.
   *
   * @returns `accept`'s result, or `"duplicate"`.
   */
  once<T extends { readonly ok: boolean }>(id: string, accept: () => Promise<T>): Promise<T | "duplicate">;
  /** Remembers an id accepted at `at` (ms): for ids recovered from a spool at start-up. */
  remember(id: string, at: number): void;
  /** How many ids are remembered now. */
  size(): number;
}

/**
 * Makes the deduplication stage. It runs after verification, so only signed ids take memory.
 *
 * Telnyx delivers some events more than once; the event id is derived from the signed fields, so a
 * redelivery has the same id and is answered 200 without being handed on again.
 *
 * @param options The window, the size bound and the clock.
 * @returns The dedup stage.
 * @example
 * ```ts
 * const dedup = createDedup({ windowMs: 3_600_000, maxEntries: 1_000_000, now: Date.now });
 * const result = await dedup.once(id, () => sink.deliver(event));
 * ```
 */
export function createDedup(options: DedupOptions): Dedup {
  const { windowMs, now } = options;
  const ids = createIdTable(Math.max(1, options.maxEntries));
  const inFlight = new Map<string, Promise<{ readonly ok: boolean }>>();

  const remember = (id: string, at: number): void => {
    // Already outside the window: remembering it would only push fresher ids out under maxEntries.
    if (windowMs <= 0 || at <= now() - windowMs) return;
    ids.forgetUntil(now() - windowMs);
    ids.add(id, at);
  };

  const isSeen = (id: string): boolean => {
    const at = ids.get(id);
    return at !== undefined && at > now() - windowMs;
  };

  // Duplicates found in one turn of the event loop are answered together at its end, after the turn
  // has read every connection that had a request, as new events are (their answers wait for the
  // stdout batch or the spool's commit). Answered at once, each reply was its own socket write in
  // the middle of those reads, and a redelivery cost more than a new event: 41 against 17 µs a
  // request in the answer's write, 20% fewer requests a second (issue 10). One promise per turn.
  let endOfTurn: Promise<"duplicate"> | undefined;
  const duplicateAtEndOfTurn = (): Promise<"duplicate"> =>
    (endOfTurn ??= new Promise((resolve) => {
      setImmediate(() => {
        endOfTurn = undefined;
        resolve("duplicate");
      });
    }));

  async function once<T extends { readonly ok: boolean }>(id: string, accept: () => Promise<T>): Promise<T | "duplicate"> {
    if (windowMs <= 0) return accept();
    if (isSeen(id)) return duplicateAtEndOfTurn();
    const running = inFlight.get(id) as Promise<T> | undefined;
    if (running !== undefined) {
      const shared = await running;
      return shared.ok ? "duplicate" : shared;
    }
    const attempt = accept();
    inFlight.set(id, attempt);
    try {
      const result = await attempt;
      if (result.ok) remember(id, now());
      return result;
    } finally {
      inFlight.delete(id);
    }
  }

  return { once, remember, size: () => ids.size() };
}
