/** Callers waiting for something, each until a deadline, checked by one shared timer. */
export interface DeadlineWaits<K, V> {
  /** Waits for `key` until `deadline` (ms since the epoch); `value` is what `take` gives back. */
  add(key: K, value: V, deadline: number): void;
  /** Stops waiting for `key`: its value, or undefined if it is not waited for (any more). */
  take(key: K): V | undefined;
  /** Stops waiting for all of them: their values. */
  takeAll(): V[];
}

/**
 * Deadlines for many waits at once with one interval timer, armed only while something waits,
 * instead of a timer armed and cleared per wait (per request, on the hot path). A wait still there
 * when the timer finds its deadline passed is removed and handed to `late`.
 *
 * @param intervalMs How often deadlines are checked: their precision.
 * @param late Called with the value of each wait whose deadline passed.
 * @param now The clock the deadlines are read on (ms since the epoch): the callers' own.
 * @returns The waits.
 * @example
 * ```ts
 * const waits = createDeadlineWaits<number, (ok: boolean) => void>(50, (resolve) => resolve(false));
 * waits.add(seq, resolve, Date.now() + 5000);
 * waits.take(seq)?.(true); // when it came in time
 * ```
 */
export function createDeadlineWaits<K, V>(intervalMs: number, late: (value: V) => void, now: () => number = Date.now): DeadlineWaits<K, V> {
  const waiting = new Map<K, { readonly value: V; readonly deadline: number }>();
  let timer: ReturnType<typeof setInterval> | undefined;
  const stopIfIdle = (): void => {
    if (waiting.size === 0 && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  const sweep = (): void => {
    const at = now();
    for (const [key, entry] of waiting) {
      if (entry.deadline > at) continue;
      waiting.delete(key);
      late(entry.value);
    }
    stopIfIdle();
  };
  return {
    add(key, value, deadline) {
      waiting.set(key, { value, deadline });
      timer ??= setInterval(sweep, intervalMs);
    },
    take(key) {
      const entry = waiting.get(key);
      waiting.delete(key);
      return entry?.value;
    },
    takeAll() {
      const values = [...waiting.values()].map((entry) => entry.value);
      waiting.clear();
      stopIfIdle();
      return values;
    },
  };
}
