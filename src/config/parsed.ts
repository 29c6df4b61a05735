// The result of parsing one option value: the value, or a message saying what is wrong with it.

/** A parsed value, or why the text is not one. Messages never repeat secret text. */
export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string };

/**
 * A successful {@link Parsed}.
 *
 * @param value The value.
 * @returns `{ ok: true, value }`.
 * @example
 * ```ts
 * const port: Parsed<number> = ok(8080);
 * ```
 */
export function ok<T>(value: T): Parsed<T> {
  return { ok: true, value };
}

/**
 * A failed {@link Parsed}.
 *
 * @param message What is wrong, in words that may be shown after the option's name.
 * @returns `{ ok: false, message }`.
 * @example
 * ```ts
 * return fail(`${JSON.stringify(text)} is not a port number (0-65535)`);
 * ```
 */
export function fail<T = never>(message: string): Parsed<T> {
  return { ok: false, message };
}
