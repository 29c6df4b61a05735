import type { KeyObject } from "node:crypto";
import { LOG_LEVELS, type LogLevel } from "./log.ts";
import { OPTIONS, type OptionSpec } from "./options.ts";
import { parsePublicKey } from "./pipeline/public-key.ts";

/** The relay's configuration, checked and turned into runtime objects before anything listens. */
export interface Config {
  readonly keys: readonly KeyObject[];
  /** undefined: all interfaces. */
  readonly host: string | undefined;
  readonly port: number;
  readonly path: string;
  readonly toleranceSeconds: number;
  readonly bodyLimit: number;
  readonly deadLetterFile: string;
  readonly sinkTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly logLevel: LogLevel;
}

/** The outcome of {@link loadConfig}: a config, or every problem found. */
export type ConfigResult = { readonly ok: true; readonly config: Config } | { readonly ok: false; readonly errors: readonly string[] };

/** Environment variables, as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

const ENV_PREFIX = "TELNYX_RELAY_";
// A misspelt key variable (TELNYX_PUBLIC_KEYS) must not silently drop a rotation key.
const KEY_ENV_PREFIX = "TELNYX_PUBLIC_KEY";
const KNOWN_ENV: ReadonlySet<string> = new Set(OPTIONS.map((spec) => spec.env));

/**
 * Builds the config from flags, then environment variables, then defaults.
 *
 * Pure apart from `readFile` (for `--public-key-file`). Unknown `TELNYX_RELAY_*` variables are
 * refused, so a typo does not silently fall back to a default. Messages name the option and never
 * repeat key material.
 *
 * @param flags Raw flag values by flag name (from `parseCli`).
 * @param env The environment.
 * @param readFile Reads a key file as text; may throw.
 * @returns The config, or the list of problems.
 * @example
 * ```ts
 * const result = loadConfig(new Map([["port", ["0"]]]), { TELNYX_PUBLIC_KEY: key }, (p) => readFileSync(p, "utf8"));
 * ```
 */
export function loadConfig(flags: ReadonlyMap<string, readonly string[]>, env: Env, readFile: (path: string) => string): ConfigResult {
  const errors: string[] = [];
  for (const name of Object.keys(env)) {
    if ((name.startsWith(ENV_PREFIX) || name.startsWith(KEY_ENV_PREFIX)) && !KNOWN_ENV.has(name)) {
      errors.push(`${name} is not a telnyx-relay setting`);
    }
  }

  /** The values of an option and where they came from, for messages. */
  const values = (flag: string): { from: string; list: readonly string[] } | undefined => {
    const spec = OPTIONS.find((candidate) => candidate.flag === flag) as OptionSpec;
    const given = flags.get(flag);
    if (given !== undefined && given.length > 0) return { from: `--${flag}`, list: given };
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined && fromEnv !== "") {
      return { from: spec.env, list: spec.multiple ? fromEnv.split(",").filter((item) => item.trim() !== "") : [fromEnv] };
    }
    if (spec.default !== undefined) return { from: `--${flag} default`, list: [spec.default] };
    return undefined;
  };

  /** The single value of an option, parsed; an error is recorded and `fallback` returned on failure. */
  const one = <T>(flag: string, parse: (text: string) => T | string, fallback: T): T => {
    const found = values(flag);
    if (found === undefined) return fallback;
    if (found.list.length > 1) {
      errors.push(`${found.from} is given ${found.list.length} times; give it once`);
      return fallback;
    }
    const parsed = parse(found.list[0] as string);
    if (typeof parsed === "string" && typeof fallback !== "string") {
      errors.push(`${found.from}: ${parsed}`);
      return fallback;
    }
    return parsed as T;
  };

  const keys: KeyObject[] = [];
  const addKey = (text: string, from: string): void => {
    try {
      keys.push(parsePublicKey(text));
    } catch (error) {
      errors.push(`${from}: ${(error as Error).message}`);
    }
  };
  const inline = values("public-key");
  inline?.list.forEach((text, index) => addKey(text, inline.list.length > 1 ? `${inline.from} #${index + 1}` : inline.from));
  const files = values("public-key-file");
  for (const path of files?.list ?? []) {
    let text: string;
    try {
      text = readFile(path.trim());
    } catch (error) {
      errors.push(`${files?.from}: cannot read ${path.trim()}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      continue;
    }
    addKey(text, `${files?.from} ${path.trim()}`);
  }
  if (keys.length === 0 && !errors.some((error) => error.includes("public key") || error.includes("cannot read"))) {
    errors.push("a public key is required: --public-key or TELNYX_PUBLIC_KEY (Mission Control portal → Keys & Credentials → Public Key)");
  }

  const hostText = one("host", (text) => (text.trim() === "" ? "must not be empty" : { host: text.trim() }), { host: undefined as string | undefined });
  const config: Config = {
    keys,
    host: hostText.host,
    port: one("port", parsePort, { port: 8080 }).port,
    path: one("path", parsePath, { path: "/" }).path,
    toleranceSeconds: one("tolerance", (text) => wrap(parseDurationMs(text), (ms) => ({ seconds: ms / 1000 })), { seconds: 300 }).seconds,
    bodyLimit: one("body-limit", (text) => wrap(parseSize(text), (bytes) => ({ bytes })), { bytes: 0 }).bytes,
    deadLetterFile: one("dead-letter-file", (text) => (text.trim() === "" ? "must not be empty" : { file: text }), { file: "" }).file,
    sinkTimeoutMs: one("sink-timeout", (text) => positive(parseDurationMs(text)), { ms: 0 }).ms,
    requestTimeoutMs: one("request-timeout", (text) => positive(parseDurationMs(text)), { ms: 0 }).ms,
    shutdownTimeoutMs: one("shutdown-timeout", (text) => positive(parseDurationMs(text)), { ms: 0 }).ms,
    logLevel: one("log-level", parseLogLevel, { level: "info" as LogLevel }).level,
  };
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}

// Each parser returns the value wrapped in an object, or a string saying what is wrong.

function parsePort(text: string): { port: number } | string {
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) return `${JSON.stringify(text)} is not a port number (0-65535)`;
  return { port: Number(text) };
}

function parsePath(text: string): { path: string } | string {
  if (!text.startsWith("/")) return `${JSON.stringify(text)} must start with /`;
  if (/[?#\s]/.test(text)) return `${JSON.stringify(text)} must not contain ?, # or spaces`;
  if (text === "/healthz") return "/healthz is the health check";
  return { path: text };
}

function parseLogLevel(text: string): { level: LogLevel } | string {
  return (LOG_LEVELS as readonly string[]).includes(text) ? { level: text as LogLevel } : `${JSON.stringify(text)} is not one of ${LOG_LEVELS.join(", ")}`;
}

const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)?$/i;
const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000 };

/**
 * Parses a duration: a number with `ms`, `s` or `m`; a bare number is seconds.
 *
 * @param text The duration.
 * @returns Milliseconds, or a message saying what is wrong.
 * @example
 * ```ts
 * parseDurationMs("300"); // 300000
 * parseDurationMs("1.5s"); // 1500
 * ```
 */
export function parseDurationMs(text: string): number | string {
  const match = DURATION.exec(text.trim());
  if (match === null) return `${JSON.stringify(text)} is not a duration (e.g. 300s, 1500ms, 5m)`;
  const ms = Number(match[1]) * (DURATION_UNIT_MS[(match[2] ?? "s").toLowerCase()] as number);
  return Number.isFinite(ms) && ms <= 86_400_000 ? ms : `${JSON.stringify(text)} is more than a day`;
}

const SIZE = /^([0-9]+)\s*(b|k|kib|kb|m|mib|mb)?$/i;
const SIZE_UNIT: Readonly<Record<string, number>> = { b: 1, k: 1024, kib: 1024, kb: 1024, m: 1 << 20, mib: 1 << 20, mb: 1 << 20 };

/**
 * Parses a size: bytes, or with `KiB`/`MiB` (`k`, `KB`, `m`, `MB` mean the same binary units).
 *
 * @param text The size.
 * @returns Bytes (1 to 64 MiB), or a message saying what is wrong.
 * @example
 * ```ts
 * parseSize("256KiB"); // 262144
 * ```
 */
export function parseSize(text: string): number | string {
  const match = SIZE.exec(text.trim());
  if (match === null) return `${JSON.stringify(text)} is not a size (e.g. 262144, 256KiB, 1MiB)`;
  const bytes = Number(match[1]) * (SIZE_UNIT[(match[2] ?? "b").toLowerCase()] as number);
  if (bytes < 1 || bytes > 64 * (1 << 20)) return `${JSON.stringify(text)} must be between 1 byte and 64MiB`;
  return bytes;
}

function wrap<T>(value: number | string, make: (value: number) => T): T | string {
  return typeof value === "string" ? value : make(value);
}

function positive(value: number | string): { ms: number } | string {
  if (typeof value === "string") return value;
  return value > 0 ? { ms: value } : "must be more than 0";
}
