import { wellFormed } from "../lib/well-formed.ts";

/** The most unknown kinds remembered for warning once each; past it, one last warning says so. */
export const MAX_UNKNOWN_KINDS = 1000;
/** An `event_type` is cut to this many characters in the set and the warning (it is the sender's text). */
const MAX_KIND_LENGTH = 100;

/**
 * Remembers which unknown kinds of event were warned about, so that each is logged once, not once
 * per request, in bounded memory: after {@link MAX_UNKNOWN_KINDS} kinds, new ones are no longer
 * logged (the metric still counts them).
 *
 * @param warn Writes one warning (the logger's `warn`).
 * @param max The most kinds remembered.
 * @returns A function taking the kind of each unknown delivery (its media and `event_type`).
 * @example
 * ```ts
 * const unknown = warnOncePerKind((message, fields) => log.warn(message, fields));
 * unknown("com.telnyx.call.new_thing", "call.new_thing"); // logs
 * unknown("com.telnyx.call.new_thing", "call.new_thing"); // does not
 * ```
 */
export function warnOncePerKind(warn: (message: string, fields: Readonly<Record<string, unknown>>) => void, max = MAX_UNKNOWN_KINDS): (type: string, eventType: string | undefined) => void {
  const seen = new Set<string>();
  return (type, fullEventType) => {
    // Well-formed for the log line: a JSON escape can make a lone surrogate, and so can the cut.
    const eventType = fullEventType === undefined ? undefined : wellFormed(fullEventType.slice(0, MAX_KIND_LENGTH));
    const kind = `${type} ${eventType ?? ""}`;
    if (seen.has(kind) || seen.size > max) return;
    seen.add(kind);
    if (seen.size > max) {
      warn("too many unknown kinds of event to warn about each; no more such warnings", { kinds: max });
      return;
    }
    warn("an event of a type the relay does not know was handed on as generic (warned once per kind)", { type, eventType: eventType ?? null });
  };
}
