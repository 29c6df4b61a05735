/**
 * Checks one `--events` pattern: a CloudEvents type in which `*` stands for any run of characters
 * (dots included), e.g. `com.telnyx.call.*`.
 *
 * @param text The pattern as given.
 * @returns The trimmed pattern, or why it is refused.
 * @example
 * ```ts
 * parseEventPattern("com.telnyx.call.*"); // { ok: true, value: "com.telnyx.call.*" }
 * parseEventPattern("call hangup");       // { ok: false, message: "…" }
 * ```
 */
export function parseEventPattern(text: string): { ok: true; value: string } | { ok: false; message: string } {
  const pattern = text.trim();
  if (!/^[A-Za-z0-9_.*-]+$/.test(pattern)) return { ok: false, message: "must be a CloudEvents type, with * for any characters (e.g. com.telnyx.call.*)" };
  return { ok: true, value: pattern };
}

/**
 * Makes the `--events` filter: whether events of a CloudEvents type are handed on. The answer for
 * each type is computed once. A pattern sees the same type a consumer does, also for an
 * `event_type` the relay does not know (`com.telnyx.call.*` keeps a new `call.…` event too).
 *
 * @param patterns The patterns (see parseEventPattern); none: every type is kept.
 * @returns The predicate, or undefined when every type is kept.
 * @example
 * ```ts
 * const keep = eventFilter(["com.telnyx.call.*", "com.telnyx.texml.*"]);
 * keep?.("com.telnyx.call.hangup");   // true
 * keep?.("com.telnyx.message.sent");  // false
 * ```
 */
export function eventFilter(patterns: readonly string[]): ((type: string) => boolean) | undefined {
  if (patterns.length === 0) return undefined;
  const expressions = patterns.map((pattern) => new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.\-]/g, "\\$&")).join(".*")}$`));
  const known = new Map<string, boolean>();
  return (type) => {
    let kept = known.get(type);
    if (kept === undefined) {
      kept = expressions.some((expression) => expression.test(type));
      // Bounded: types are the registry's, plus those of unknown well-formed event_types (at most
      // 100 characters each); past 10,000 the answer is computed each time.
      if (known.size < 10_000) known.set(type, kept);
    }
    return kept;
  };
}
