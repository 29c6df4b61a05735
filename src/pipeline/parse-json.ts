/** The deepest nesting of objects and arrays a webhook body may have (Telnyx's go about 6 deep). */
export const JSON_MAX_DEPTH = 64;
import { JSON_MAX_LENGTH } from "../lib/size-limits.ts";

export { JSON_MAX_LENGTH };

/**
 * A strictly parsed JSON text: the value, and the text with its line breaks (whitespace) removed;
 * or a problem (`tooLarge`: the text is over {@link JSON_MAX_LENGTH}, a limit like `--body-limit`).
 */
export type StrictJson =
  | { readonly ok: true; readonly value: unknown; readonly text: string }
  | { readonly ok: false; readonly problem: string; readonly tooLarge?: true };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const LINE_BREAK = /[\r\n]/;

/**
 * Parses JSON text strictly, within limits: at most {@link JSON_MAX_LENGTH} characters and
 * {@link JSON_MAX_DEPTH} levels of nesting, and no object with the same key twice (JSON.parse would
 * silently keep the last one, so a consumer and the relay could read different values).
 *
 * How: one scan of the text before JSON.parse counts nesting and the colons outside strings (one
 * per object member in valid JSON); after JSON.parse, the members of the parsed objects are counted:
 * each duplicate key makes the second count one less. Only then is the text scanned again, slowly,
 * to name the duplicate. Cheaper than a hand-written parser in JavaScript (measured: see
 * scripts/json-bench.ts).
 *
 * @param text The body as text (strict UTF-8 decoded).
 * @returns The value and the text on one line, or a one-line problem.
 * @example
 * ```ts
 * parseStrictJson('{"a":1}');       // { ok: true, value: { a: 1 }, text: '{"a":1}' }
 * parseStrictJson('{"a":1,"a":2}'); // { ok: false, problem: 'the body has the key "a" twice in one object' }
 * ```
 */
export function parseStrictJson(text: string): StrictJson {
  if (text.length > JSON_MAX_LENGTH) return { ok: false, problem: `the JSON body is larger than the limit of ${JSON_MAX_LENGTH} characters`, tooLarge: true };
  let depth = 0;
  let members = 0;
  const end = text.length;
  for (let i = 0; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      i = closingQuote(text, i);
      if (i < 0) break; // unterminated: JSON.parse names the problem
    } else if (code === COLON) members++;
    else if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      if (++depth > JSON_MAX_DEPTH) return { ok: false, problem: `the body nests deeper than ${JSON_MAX_DEPTH} levels` };
    } else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) depth--;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `the body is not valid JSON (${(error as Error).message.split("\n")[0]})` };
  }
  if (countMembers(value) !== members) return { ok: false, problem: duplicateKeyProblem(text) };
  // A line break outside a string is whitespace; inside one it would have had to be escaped.
  return { ok: true, value, text: LINE_BREAK.test(text) ? text.replace(/[\r\n]/g, "") : text };
}

/** The index of the quote closing the string opened at `start`, or -1. */
function closingQuote(text: string, start: number): number {
  let at = start;
  for (;;) {
    at = text.indexOf('"', at + 1);
    if (at < 0) return -1;
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
}

/** The number of members of every object in a parsed value (depth is bounded by the scan). */
function countMembers(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += countMembers(item);
    return count;
  }
  for (const key in value) {
    count += 1 + countMembers((value as Record<string, unknown>)[key]);
  }
  return count;
}

/** Names the first key given twice in one object (the slow path, only for a refused body). */
function duplicateKeyProblem(text: string): string {
  const stack: Array<Set<string> | undefined> = [];
  let lastString: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === QUOTE) {
      const close = closingQuote(text, i);
      lastString = JSON.parse(text.slice(i, close + 1)) as string;
      i = close;
    } else if (code === COLON) {
      const keys = stack[stack.length - 1];
      if (keys !== undefined && lastString !== undefined) {
        if (keys.has(lastString)) return `the body has the key ${JSON.stringify(lastString)} twice in one object`;
        keys.add(lastString);
      }
    } else if (code === OPEN_BRACE) stack.push(new Set());
    else if (code === OPEN_BRACKET) stack.push(undefined);
    else if (code === CLOSE_BRACE || code === CLOSE_BRACKET) stack.pop();
  }
  return "the body has a key twice in one object";
}
