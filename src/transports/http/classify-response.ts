import type { SendOutcome } from "../transport.ts";
import { parseRetryAfter } from "./retry-after.ts";

/**
 * What a complete, non-2xx HTTP answer means: 408, 429 and 5xx are worth retrying (after
 * `Retry-After`, when given); any other status (another 4xx, a redirect, which is not followed) is
 * a refusal for good, kept with its status and the start of its body.
 *
 * @param status The response status.
 * @param retryAfter The `Retry-After` header, if any.
 * @param bodyExcerpt The start of the response body.
 * @param now The clock (ms), for `Retry-After` dates.
 * @returns The outcome of the attempt.
 * @example
 * ```ts
 * classifyResponse(503, "7", "", Date.now); // { kind: "retry", reason: "the downstream answered 503", afterMs: 7000, reached: true }
 * ```
 */
export function classifyResponse(status: number, retryAfter: string | undefined, bodyExcerpt: string, now: () => number): SendOutcome {
  if (status === 408 || status === 429 || status >= 500) {
    const afterMs = parseRetryAfter(retryAfter, now);
    const reason = `the downstream answered ${status}`;
    return afterMs === undefined ? { kind: "retry", reason, reached: true } : { kind: "retry", reason, afterMs, reached: true };
  }
  return { kind: "refuse", detail: `the downstream answered ${status}`, answer: { status, bodyExcerpt } };
}
