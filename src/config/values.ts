// Parsers of option values: text in, a Parsed value out. Pure; each message says what is wrong in
// words that follow the option's name (`--port: "70000" is not a port number (0-65535)`).
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "../lib/log.ts";
import { RESERVED_PATHS } from "../lib/routes.ts";
import { fail, ok, type Parsed } from "./parsed.ts";

const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/i;
const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const MAX_DURATION_MS = 86_400_000;

/**
 * Parses a duration: a number with `ms`, `s`, `m` or `h`; a bare number is seconds. At most a day.
 *
 * @param text The duration.
 * @returns Milliseconds (0 allowed), or what is wrong.
 * @example
 * ```ts
 * parseDurationMs("300"); // { ok: true, value: 300000 }
 * parseDurationMs("1.5s"); // { ok: true, value: 1500 }
 * ```
 */
export function parseDurationMs(text: string): Parsed<number> {
  const match = DURATION.exec(text.trim());
  if (match === null) return fail(`${JSON.stringify(text)} is not a duration (e.g. 300s, 1500ms, 5m, 1h)`);
  const ms = Number(match[1]) * (DURATION_UNIT_MS[(match[2] ?? "s").toLowerCase()] as number);
  return Number.isFinite(ms) && ms <= MAX_DURATION_MS ? ok(ms) : fail(`${JSON.stringify(text)} is more than a day`);
}

/**
 * Parses a duration that must be more than 0 (a timeout).
 *
 * @param text The duration.
 * @returns Milliseconds, more than 0, or what is wrong.
 * @example
 * ```ts
 * parsePositiveDurationMs("0"); // { ok: false, message: "must be more than 0" }
 * ```
 */
export function parsePositiveDurationMs(text: string): Parsed<number> {
  const parsed = parseDurationMs(text);
  if (!parsed.ok || parsed.value > 0) return parsed;
  return fail("must be more than 0");
}

/**
 * Parses a duration as whole or fractional seconds (the signature tolerance).
 *
 * @param text The duration.
 * @returns Seconds, or what is wrong.
 * @example
 * ```ts
 * parseDurationSeconds("2m"); // { ok: true, value: 120 }
 * ```
 */
export function parseDurationSeconds(text: string): Parsed<number> {
  const parsed = parseDurationMs(text);
  return parsed.ok ? ok(parsed.value / 1000) : parsed;
}

const SIZE = /^([0-9]+)\s*(b|k|kib|kb|m|mib|mb|g|gib|gb)?$/i;
const SIZE_UNIT: Readonly<Record<string, number>> = { b: 1, k: 1024, kib: 1024, kb: 1024, m: 1 << 20, mib: 1 << 20, mb: 1 << 20, g: 1 << 30, gib: 1 << 30, gb: 1 << 30 };
/** The largest `--body-limit`. */
export const MAX_BODY_BYTES = 64 * (1 << 20);
/** The largest `--spool-max-bytes`. */
export const MAX_SPOOL_BYTES = 2 ** 40;

/**
 * Parses a size: bytes, or with `KiB`/`MiB`/`GiB` (`k`, `KB`, `m`, `MB`, `g`, `GB` mean the same
 * binary units).
 *
 * @param text The size.
 * @param max The largest size allowed (default 64 MiB, the body limit's bound).
 * @returns Bytes (1 to `max`), or what is wrong.
 * @example
 * ```ts
 * parseSize("256KiB"); // { ok: true, value: 262144 }
 * ```
 */
export function parseSize(text: string, max = MAX_BODY_BYTES): Parsed<number> {
  const match = SIZE.exec(text.trim());
  if (match === null) return fail(`${JSON.stringify(text)} is not a size (e.g. 262144, 256KiB, 1MiB)`);
  const bytes = Number(match[1]) * (SIZE_UNIT[(match[2] ?? "b").toLowerCase()] as number);
  if (bytes < 1 || bytes > max) return fail(`${JSON.stringify(text)} must be between 1 byte and ${max >= 2 ** 30 ? `${max / 2 ** 30}GiB` : `${max / 2 ** 20}MiB`}`);
  return ok(bytes);
}

/**
 * Parses a TCP port to listen on.
 *
 * @param text Digits only: no sign, no spaces.
 * @returns 0 (pick a free port) to 65535, or what is wrong.
 * @example
 * ```ts
 * parsePort("8080"); // { ok: true, value: 8080 }
 * ```
 */
export function parsePort(text: string): Parsed<number> {
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) return fail(`${JSON.stringify(text)} is not a port number (0-65535)`);
  return ok(Number(text));
}

/**
 * Parses the URL path Telnyx POSTs to; the relay's own paths ({@link RESERVED_PATHS}) are refused.
 *
 * @param text The path.
 * @returns The path, or what is wrong.
 * @example
 * ```ts
 * parsePath("/readyz"); // { ok: false, message: "/readyz is the relay's own readiness check…" }
 * ```
 */
export function parsePath(text: string): Parsed<string> {
  if (!text.startsWith("/")) return fail(`${JSON.stringify(text)} must start with /`);
  if (/[?#\s]/.test(text)) return fail(`${JSON.stringify(text)} must not contain ?, # or spaces`);
  if (RESERVED_PATHS.includes(text)) return fail(`${text} is answered by the relay itself (health, readiness or metrics); choose another path`);
  return ok(text);
}

/**
 * Parses a log level.
 *
 * @param text One of `debug`, `info`, `warn`, `error`.
 * @returns The level, or what is wrong.
 * @example
 * ```ts
 * parseLogLevel("warn"); // { ok: true, value: "warn" }
 * ```
 */
export function parseLogLevel(text: string): Parsed<LogLevel> {
  return (LOG_LEVELS as readonly string[]).includes(text) ? ok(text as LogLevel) : fail(`${JSON.stringify(text)} is not one of ${LOG_LEVELS.join(", ")}`);
}

/**
 * Parses a log format.
 *
 * @param text The value.
 * @returns `json` or `text`, or a problem.
 * @example
 * ```ts
 * parseLogFormat("text"); // { ok: true, value: "text" }
 * ```
 */
export function parseLogFormat(text: string): Parsed<LogFormat> {
  return (LOG_FORMATS as readonly string[]).includes(text) ? ok(text as LogFormat) : fail(`${JSON.stringify(text)} is not one of ${LOG_FORMATS.join(", ")}`);
}

/**
 * Makes a parser of a whole number from 1 to `max` (digits only, at most as many as `max` has).
 *
 * @param max The largest number allowed.
 * @returns The parser.
 * @example
 * ```ts
 * countFrom1To(64)("65"); // { ok: false, message: "\"65\" is not a number from 1 to 64" }
 * ```
 */
export function countFrom1To(max: number): (text: string) => Parsed<number> {
  const digits = new RegExp(`^[0-9]{1,${String(max).length}}$`);
  return (text) => (digits.test(text) && Number(text) >= 1 && Number(text) <= max ? ok(Number(text)) : fail(`${JSON.stringify(text)} is not a number from 1 to ${max}`));
}

/**
 * Parses text that must not be blank, kept as given (a file or directory name).
 *
 * @param text The text.
 * @returns The text, or "must not be empty".
 * @example
 * ```ts
 * parseNonBlank(" "); // { ok: false, message: "must not be empty" }
 * ```
 */
export function parseNonBlank(text: string): Parsed<string> {
  return text.trim() === "" ? fail("must not be empty") : ok(text);
}

/**
 * Parses text that must not be blank, trimmed (a host name or address).
 *
 * @param text The text.
 * @returns The trimmed text, or "must not be empty".
 * @example
 * ```ts
 * parseTrimmed(" 127.0.0.1 "); // { ok: true, value: "127.0.0.1" }
 * ```
 */
export function parseTrimmed(text: string): Parsed<string> {
  return text.trim() === "" ? fail("must not be empty") : ok(text.trim());
}
