/**
 * A received text cut short for a log line, so a long URL cannot make every log line long.
 *
 * @param text The text as received.
 * @returns The text, or its first 200 characters and an ellipsis.
 * @example
 * ```ts
 * log.warn("request refused", { path: clip(req.url ?? "") });
 * ```
 */
export function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
