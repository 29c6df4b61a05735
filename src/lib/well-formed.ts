// A lone UTF-16 surrogate (no partner on the right side).
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The text with each lone UTF-16 surrogate replaced by U+FFFD: what `String.prototype.toWellFormed()`
 * does (not in the ES2023 library the package's Node 20 build is checked against). A JSON escape
 * (`"\udc00"`) can put a lone surrogate into a parsed string; JSON.stringify then writes it back as
 * that escape, which strict parsers (serde_json, …) refuse, and encodeURIComponent throws on it.
 *
 * @param text Any string.
 * @returns The same string when it is well-formed (the usual case), else a well-formed copy.
 * @example
 * ```ts
 * wellFormed("v3:\udc00"); // "v3:\ufffd"
 * wellFormed("v3:😀");     // "v3:😀"
 * ```
 */
export function wellFormed(text: string): string {
  return text.replace(LONE_SURROGATE, "\ufffd");
}
