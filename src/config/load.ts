import type { KeyObject } from "node:crypto";
import { LOG_LEVELS, type LogLevel } from "../lib/log.ts";
import { OPTIONS, type OptionSpec } from "./options.ts";
import { parsePublicKey } from "../crypto/public-key.ts";
import { decodeStrictBase64 } from "../crypto/strict-base64.ts";

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
  /** 0: no deduplication. */
  readonly dedupWindowMs: number;
  /** Processes answering on the port; with more than one, the first writes every event (see src/workers/). */
  readonly workers: number;
  /** undefined: events go to stdout. */
  readonly forward: ForwardConfig | undefined;
}

/** Where and how events are forwarded. */
export interface ForwardConfig {
  readonly url: URL;
  /** Extra headers, in the order given. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The decoded Standard Webhooks secret (the bytes after `whsec_`), or undefined: unsigned. */
  readonly secret: Uint8Array | undefined;
  readonly timeoutMs: number;
  /** undefined: synchronous forwarding (200 only after the downstream's 2xx). */
  readonly spool: SpoolConfig | undefined;
}

/** The on-disk spool of the spooled forwarding mode. */
export interface SpoolConfig {
  readonly dir: string;
  readonly maxBytes: number;
  readonly concurrency: number;
  readonly retryMaxDelayMs: number;
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
      return { from: spec.env, list: spec.multiple ? fromEnv.split(spec.separator).filter((item) => item.trim() !== "") : [fromEnv] };
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
    // Every parser wraps its value in an object, so a string is always a message.
    if (typeof parsed === "string") {
      errors.push(`${found.from}: ${parsed}`);
      return fallback;
    }
    return parsed as T;
  };

  const keys: KeyObject[] = [];
  const seenKeys = new Set<string>();
  let keyErrors = 0;
  const addKey = (text: string, from: string): void => {
    try {
      const key = parsePublicKey(text);
      // The same key given twice would be tried twice for every bad signature.
      const der = key.export({ format: "der", type: "spki" }).toString("base64");
      if (!seenKeys.has(der)) keys.push(key);
      seenKeys.add(der);
    } catch (error) {
      keyErrors++;
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
      keyErrors++;
      errors.push(`${files?.from}: cannot read ${path.trim()}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      continue;
    }
    addKey(text, `${files?.from} ${path.trim()}`);
  }
  if (keys.length === 0 && keyErrors === 0) {
    errors.push("a public key is required: --public-key or TELNYX_PUBLIC_KEY (Mission Control portal → Keys & Credentials → Public Key)");
  }

  const hostText = one("host", (text) => (text.trim() === "" ? "must not be empty" : { host: text.trim() }), { host: undefined as string | undefined });
  const config: { -readonly [K in keyof Config]: Config[K] } = {
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
    dedupWindowMs: one("dedup-window", (text) => wrap(parseDurationMs(text), (ms) => ({ ms })), { ms: 0 }).ms,
    workers: one("workers", parseWorkers, { n: 1 }).n,
    forward: undefined,
  };

  const given = (flag: string): boolean => flags.has(flag) || (env[envOf(flag)] ?? "") !== "";
  const forwardUrl = one("forward-url", parseForwardUrl, { url: undefined as URL | undefined }).url;
  if (!given("forward-url")) {
    for (const flag of ["forward-header", "forward-secret", "forward-timeout", "spool-dir"].filter(given)) {
      errors.push(`--${flag} (${envOf(flag)}) needs --forward-url`);
    }
  }
  if (!given("spool-dir")) {
    for (const flag of ["spool-max-bytes", "delivery-concurrency", "retry-max-delay"].filter(given)) {
      errors.push(`--${flag} (${envOf(flag)}) needs --spool-dir`);
    }
  }
  if (forwardUrl !== undefined) {
    const headers: Array<readonly [string, string]> = [];
    const headerValues = values("forward-header");
    for (const text of headerValues?.list ?? []) {
      const header = parseHeader(text);
      if (typeof header === "string") errors.push(`${headerValues?.from}: ${header}`);
      else headers.push(header);
    }
    const spoolDir = one("spool-dir", (text) => (text.trim() === "" ? "must not be empty" : { dir: text }), { dir: undefined as string | undefined }).dir;
    config.forward = {
      url: forwardUrl,
      headers,
      secret: one("forward-secret", parseSecret, { secret: undefined as Uint8Array | undefined }).secret,
      timeoutMs: one("forward-timeout", (text) => positive(parseDurationMs(text)), { ms: 0 }).ms,
      spool:
        spoolDir === undefined
          ? undefined
          : {
              dir: spoolDir,
              maxBytes: one("spool-max-bytes", (text) => wrap(parseSize(text, MAX_SPOOL_BYTES), (bytes) => ({ bytes })), { bytes: 0 }).bytes,
              concurrency: one("delivery-concurrency", parseConcurrency, { n: 1 }).n,
              retryMaxDelayMs: one("retry-max-delay", (text) => positive(parseDurationMs(text)), { ms: 0 }).ms,
            },
    };
  }
  // A request waiting on the sink must get its 503 before the server gives up on it (request
  // timeout) or on shutdown (shutdown timeout): otherwise the client sees a reset instead.
  const waits: Array<[string, number | undefined]> = [
    ["--sink-timeout", config.forward === undefined ? config.sinkTimeoutMs : undefined],
    ["--forward-timeout", config.forward !== undefined && config.forward.spool === undefined ? config.forward.timeoutMs : undefined],
  ];
  for (const [flag, ms] of waits) {
    if (ms === undefined || ms === 0) continue;
    if (config.requestTimeoutMs > 0 && ms >= config.requestTimeoutMs) errors.push(`${flag} (${ms} ms) must be shorter than --request-timeout (${config.requestTimeoutMs} ms)`);
    if (config.shutdownTimeoutMs > 0 && ms >= config.shutdownTimeoutMs) errors.push(`${flag} (${ms} ms) must be shorter than --shutdown-timeout (${config.shutdownTimeoutMs} ms)`);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}

function envOf(flag: string): string {
  return (OPTIONS.find((spec) => spec.flag === flag) as OptionSpec).env;
}

// Each parser returns the value wrapped in an object, or a string saying what is wrong.

function parseForwardUrl(text: string): { url: URL } | string {
  // Never quoted back: a URL may carry a secret.
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "is not a URL";
  }
  if (url.username || url.password) return "credentials in the URL would be logged; use --forward-header 'Authorization: …'";
  if (url.protocol !== "http:" && url.protocol !== "https:") return `must be an http or https URL, not ${url.protocol}`;
  return { url };
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Set by the relay itself: a user's value would break framing, dedup headers or the signature.
const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  "content-type",
  "content-length",
  "transfer-encoding",
  "connection",
  "host",
  "idempotency-key",
  "ce-id",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
]);

function parseHeader(text: string): readonly [string, string] | string {
  const colon = text.indexOf(":");
  const name = colon === -1 ? "" : text.slice(0, colon).trim();
  const value = colon === -1 ? "" : text.slice(colon + 1).trim();
  // The text is not quoted back: a malformed header may well be a credential.
  if (!TOKEN.test(name)) return "expected 'Name: value' with a valid header name";
  if (/[^\t\x20-\x7e\x80-\xff]/.test(value)) return `the value of ${name} holds a control character or a character HTTP cannot carry`;
  if (RESERVED_HEADERS.has(name.toLowerCase())) return `${name} is set by the relay and cannot be replaced`;
  return [name, value];
}

function parseSecret(text: string): { secret: Uint8Array } | string {
  // Standard Webhooks: "whsec_" + base64 of 24 to 64 random bytes.
  const bytes = text.startsWith("whsec_") ? decodeStrictBase64(text.slice(6)) : undefined;
  if (bytes === undefined || bytes.length < 24 || bytes.length > 64) return "expected whsec_ followed by base64 of 24 to 64 bytes";
  return { secret: bytes };
}

function parseConcurrency(text: string): { n: number } | string {
  if (!/^[0-9]{1,4}$/.test(text) || Number(text) < 1 || Number(text) > 1024) return `${JSON.stringify(text)} is not a number from 1 to 1024`;
  return { n: Number(text) };
}

function parseWorkers(text: string): { n: number } | string {
  if (!/^[0-9]{1,2}$/.test(text) || Number(text) < 1 || Number(text) > 64) return `${JSON.stringify(text)} is not a number from 1 to 64`;
  return { n: Number(text) };
}

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

const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)?$/i;
const DURATION_UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration: a number with `ms`, `s`, `m` or `h`; a bare number is seconds.
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
  if (match === null) return `${JSON.stringify(text)} is not a duration (e.g. 300s, 1500ms, 5m, 1h)`;
  const ms = Number(match[1]) * (DURATION_UNIT_MS[(match[2] ?? "s").toLowerCase()] as number);
  return Number.isFinite(ms) && ms <= 86_400_000 ? ms : `${JSON.stringify(text)} is more than a day`;
}

const SIZE = /^([0-9]+)\s*(b|k|kib|kb|m|mib|mb|g|gib|gb)?$/i;
const SIZE_UNIT: Readonly<Record<string, number>> = { b: 1, k: 1024, kib: 1024, kb: 1024, m: 1 << 20, mib: 1 << 20, mb: 1 << 20, g: 1 << 30, gib: 1 << 30, gb: 1 << 30 };
const MAX_BODY_BYTES = 64 * (1 << 20);
const MAX_SPOOL_BYTES = 2 ** 40;

/**
 * Parses a size: bytes, or with `KiB`/`MiB`/`GiB` (`k`, `KB`, `m`, `MB`, `g`, `GB` mean the same
 * binary units).
 *
 * @param text The size.
 * @param max The largest size allowed (default 64 MiB, the body limit's bound).
 * @returns Bytes (1 to `max`), or a message saying what is wrong.
 * @example
 * ```ts
 * parseSize("256KiB"); // 262144
 * ```
 */
export function parseSize(text: string, max = MAX_BODY_BYTES): number | string {
  const match = SIZE.exec(text.trim());
  if (match === null) return `${JSON.stringify(text)} is not a size (e.g. 262144, 256KiB, 1MiB)`;
  const bytes = Number(match[1]) * (SIZE_UNIT[(match[2] ?? "b").toLowerCase()] as number);
  if (bytes < 1 || bytes > max) return `${JSON.stringify(text)} must be between 1 byte and ${max >= 2 ** 30 ? `${max / 2 ** 30}GiB` : `${max / 2 ** 20}MiB`}`;
  return bytes;
}

function wrap<T>(value: number | string, make: (value: number) => T): T | string {
  return typeof value === "string" ? value : make(value);
}

function positive(value: number | string): { ms: number } | string {
  if (typeof value === "string") return value;
  return value > 0 ? { ms: value } : "must be more than 0";
}
