import assert from "node:assert/strict";

/**
 * Polls until `condition` holds; fails after `ms` (a bound on a hang, not a timing assertion).
 *
 * @param condition What to wait for.
 * @param what Named in the failure.
 * @param ms The most to wait.
 */
export async function eventually(condition: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) assert.fail(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
