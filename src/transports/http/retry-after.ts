const IMF_FIXDATE = /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT$/;

/**
 * Parses `Retry-After`: delay seconds or an HTTP date (RFC 9110 section 10.2.3).
 *
 * @param value The header.
 * @param now The clock, ms.
 * @returns Milliseconds to wait, or undefined when absent or unreadable.
 * @example
 * ```ts
 * parseRetryAfter("120", Date.now); // 120000
 * ```
 */
export function parseRetryAfter(value: string | undefined, now: () => number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text) * 1000;
  // Only the HTTP date form (IMF-fixdate): Date.parse alone reads "-5" or "1.5" as dates.
  if (!IMF_FIXDATE.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now());
}
