// Waiting in tests: on a condition (polled, with a bound on a hang: never a timing assertion) or on
// a promise settled from outside.
import assert from "node:assert/strict";

/**
 * Resolves once `condition` holds, polled every few ms; fails after `limitMs`, naming `what`. The
 * limit bounds a hang; it asserts nothing about speed.
 *
 * @example
 * ```ts
 * await until(() => downstream.received.length === 2, "both events downstream");
 * ```
 */
export async function until(condition: () => boolean, what = "a condition", limitMs = 15_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!condition()) {
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
