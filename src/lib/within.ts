/**
 * Waits for a promise at most `ms` milliseconds.
 *
 * @param promise What to wait for (its value and any rejection are ignored: this only tells time).
 * @param ms The most to wait; 0 or less does not wait.
 * @returns true when the promise settled in time, false when time ran out.
 * @example
 * ```ts
 * if (!(await within(server.closed, 5000))) server.closeAllConnections();
 * ```
 */
export function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(resolve, ms, false);
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  return Promise.race([settled, timeout]).finally(() => clearTimeout(timer));
}
