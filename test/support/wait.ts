// Waiting in tests: on a condition (polled, with a bound on a hang: never a timing assertion) or on
// a promise settled from outside.
import assert from "node:assert/strict";

/**
 * Resolves once `condition` holds (it may be async), polled every few ms; fails after `limitMs`,
 * naming `what`. The limit bounds a hang; it asserts nothing about speed.
 *
 * @example
 * ```ts
 * await until(() => downstream.received.length === 2, "both events downstream");
 * ```
 */
export async function until(condition: () => boolean | Promise<boolean>, what = "a condition", limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`gave up waiting for ${what} (${limitMs} ms)`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A promise settled from outside. */
export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

/**
 * Makes a promise with its `resolve` and `reject` at hand.
 *
 * @example
 * ```ts
 * const gate = deferred<SendOutcome>();
 * transport.next = () => gate.promise;
 * gate.resolve({ kind: "delivered" });
 * ```
 */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * Lets every queued promise callback run, and the rest of the event loop's turn: for code that goes
 * on in promise callbacks only (no I/O, no timer), "it has finished" without a sleep.
 *
 * @example
 * ```ts
 * written.resolve(false);
 * await settle();
 * assert.equal(deliverer.outstanding(), 0);
 * ```
 */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
