// Flags + environment → Config, or every problem found. Pure apart from the injected readFile.
import type { KeyObject } from "node:crypto";
import type { LogFormat, LogLevel } from "../lib/log.ts";
import type { Env } from "./env.ts";
import { loadKeys } from "./load-keys.ts";
import type { NatsConfig } from "./nats-config.ts";
import { loadNats } from "./nats-load.ts";
import { loadTexmlReply } from "./texml-reply.ts";
import { createOptionReader, type OptionReader } from "./option-reader.ts";
import { OPTION_NAMES, OPTIONS, type OptionName } from "./options.ts";
import { JOURNAL_RECORD_MAX_BYTES } from "../lib/size-limits.ts";

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
  /** The dead-letter file's size limit: past it new records are refused. */
  readonly deadLetterMaxBytes: number;
  readonly sinkTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly shutdownTimeoutMs: number;
  readonly logLevel: LogLevel;
  /** How log lines are written (`--log-format`). */
  readonly logFormat: LogFormat;
  /** 0: no deduplication. */
  readonly dedupWindowMs: number;
  /** `--events` patterns: only matching CloudEvents types are handed on; empty: every type. */
  readonly events: readonly string[];
  /** Processes answering on the port; with more than one, the first writes every event (see src/workers/). */
  readonly workers: number;
  /** undefined: events do not go to an HTTP downstream. */
  readonly forward: ForwardConfig | undefined;
  /** undefined: events do not go to NATS JetStream. At most one of `forward` and `nats` is set; neither: stdout. */
  readonly nats: NatsConfig | undefined;
  /** undefined: synchronous (200 only once the transport delivered). Only with `forward` or `nats`. */
  readonly spool: SpoolConfig | undefined;
  /** The TeXML document TeXML callbacks are answered with (`--texml-reply`, else the default). */
  readonly texmlReply: string;
}

/** Where and how events are forwarded. */
export interface ForwardConfig {
  readonly url: URL;
  /** Extra headers, in the order given. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** The decoded Standard Webhooks secret (the bytes after `whsec_`), or undefined: unsigned. */
  readonly secret: Uint8Array | undefined;
  readonly timeoutMs: number;
}

/** The on-disk spool of the spooled mode (any transport). */
export interface SpoolConfig {
  readonly dir: string;
  readonly maxBytes: number;
  readonly concurrency: number;
  readonly retryMaxDelayMs: number;
}

/** The outcome of {@link loadConfig}: a config, or every problem found. */
export type ConfigResult = { readonly ok: true; readonly config: Config } | { readonly ok: false; readonly errors: readonly string[] };

export type { Env } from "./env.ts";

const ENV_PREFIX = "TELNYX_RELAY_";
// A misspelt key variable (TELNYX_PUBLIC_KEYS) must not silently drop a rotation key.
const KEY_ENV_PREFIX = "TELNYX_PUBLIC_KEY";
const KNOWN_ENV: ReadonlySet<string> = new Set(OPTION_NAMES.map((name) => OPTIONS[name].env));
// Options that mean nothing without another one.
const NEEDS_FORWARD_URL: readonly OptionName[] = ["forward-header", "forward-secret", "forward-timeout"];
const NEEDS_SPOOL_DIR: readonly OptionName[] = ["spool-max-bytes", "delivery-concurrency", "retry-max-delay"];

/**
 * Builds the config from flags, then environment variables, then the option table's defaults.
 *
 * Pure apart from `readFile` (for `--public-key-file` and `--texml-reply`). Unknown `TELNYX_RELAY_*` and
 * `TELNYX_PUBLIC_KEY*` variables are refused, so a typo does not silently fall back to a default.
 * Messages name the option and never repeat key material.
 *
 * @param flags Raw values by option name (from `parseCli`).
 * @param env The environment.
 * @param readFile Reads a file as text; may throw. Given `maxBytes` (for `--texml-reply`), it reads
 *   a regular file of at most that many bytes of UTF-8, or throws.
 * @returns The config, or the list of problems.
 * @example
 * ```ts
 * const result = loadConfig(new Map([["port", ["0"]]]), { TELNYX_PUBLIC_KEY: key }, (p) => readFileSync(p, "utf8"));
 * ```
 */
export function loadConfig(flags: ReadonlyMap<OptionName, readonly string[]>, env: Env, readFile: (path: string, maxBytes?: number) => string): ConfigResult {
  const errors: string[] = [];
  for (const name of Object.keys(env)) {
    if ((name.startsWith(ENV_PREFIX) || name.startsWith(KEY_ENV_PREFIX)) && !KNOWN_ENV.has(name)) {
      errors.push(`${name} is not a telnyx-relay setting`);
    }
  }
  const reader = createOptionReader(flags, env, errors);
  const config: Config = {
    keys: loadKeys(reader, readFile, errors),
    host: reader.one("host"),
    port: reader.withDefault("port"),
    path: reader.withDefault("path"),
    toleranceSeconds: reader.withDefault("tolerance"),
    bodyLimit: reader.withDefault("body-limit"),
    deadLetterFile: reader.withDefault("dead-letter-file"),
    deadLetterMaxBytes: reader.withDefault("dead-letter-max-bytes"),
    sinkTimeoutMs: reader.withDefault("sink-timeout"),
    requestTimeoutMs: reader.withDefault("request-timeout"),
    shutdownTimeoutMs: reader.withDefault("shutdown-timeout"),
    logLevel: reader.withDefault("log-level"),
    logFormat: reader.withDefault("log-format"),
    dedupWindowMs: reader.withDefault("dedup-window"),
    events: reader.each("events").values.map((item) => item.value),
    workers: reader.withDefault("workers"),
    forward: loadForward(reader, errors),
    nats: loadNats(reader, errors),
    spool: loadSpool(reader, errors),
    texmlReply: loadTexmlReply(reader.one("texml-reply"), readFile, errors),
  };
  if (reader.given("forward-url") && reader.given("nats-url")) errors.push("--forward-url and --nats-url: give one (events go to one place)");
  checkWaits(config, errors);
  checkSizes(config, errors);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config };
}

function loadForward(reader: OptionReader, errors: string[]): ForwardConfig | undefined {
  const needs = (names: readonly OptionName[], needed: OptionName): void => {
    if (reader.given(needed)) return;
    for (const name of names.filter(reader.given)) errors.push(`--${name} (${OPTIONS[name].env}) needs --${needed}`);
  };
  const url = reader.one("forward-url");
  needs(NEEDS_FORWARD_URL, "forward-url");
  if (url === undefined) return undefined;
  return {
    url,
    headers: reader.each("forward-header").values.map((item) => item.value),
    secret: reader.one("forward-secret"),
    timeoutMs: reader.withDefault("forward-timeout"),
  };
}

// The spool works with any transport: --spool-dir needs --forward-url or --nats-url.
function loadSpool(reader: OptionReader, errors: string[]): SpoolConfig | undefined {
  if (!reader.given("spool-dir")) {
    for (const name of NEEDS_SPOOL_DIR.filter(reader.given)) errors.push(`--${name} (${OPTIONS[name].env}) needs --spool-dir`);
    return undefined;
  }
  if (!reader.given("forward-url") && !reader.given("nats-url")) {
    errors.push(`--spool-dir (${OPTIONS["spool-dir"].env}) needs --forward-url or --nats-url`);
    return undefined;
  }
  const dir = reader.one("spool-dir");
  if (dir === undefined) return undefined;
  return {
    dir,
    maxBytes: reader.withDefault("spool-max-bytes"),
    concurrency: reader.withDefault("delivery-concurrency"),
    retryMaxDelayMs: reader.withDefault("retry-max-delay"),
  };
}

// A request waiting on the sink must get its 503 before the server gives up on it (request
// timeout) or on shutdown (shutdown timeout): otherwise the client sees a reset instead.
function checkWaits(config: Config, errors: string[]): void {
  const waits: Array<[string, number | undefined]> = [
    // stdout's wait, the spool's disk and the dead-letter file's: every mode has one.
    ["--sink-timeout", config.sinkTimeoutMs],
    ["--forward-timeout", config.forward !== undefined && config.spool === undefined ? config.forward.timeoutMs : undefined],
    ["--nats-timeout", config.nats !== undefined && config.spool === undefined ? config.nats.timeoutMs : undefined],
  ];
  for (const [flag, ms] of waits) {
    if (ms === undefined || ms === 0) continue;
    if (ms >= config.requestTimeoutMs) errors.push(`${flag} (${ms} ms) must be shorter than --request-timeout (${config.requestTimeoutMs} ms)`);
    if (ms >= config.shutdownTimeoutMs) errors.push(`${flag} (${ms} ms) must be shorter than --shutdown-timeout (${config.shutdownTimeoutMs} ms)`);
  }
}

// The size limits must agree: a body the server takes must fit the spool's records, or it would be
// answered 503 at every redelivery. (A JSON body over the JSON limit is 413 whatever --body-limit
// says, and a NATS server's max_payload is checked once connected: src/transports/nats/.)
function checkSizes(config: Config, errors: string[]): void {
  if (config.spool !== undefined && config.bodyLimit > JOURNAL_RECORD_MAX_BYTES) {
    errors.push(`--body-limit (${config.bodyLimit} bytes) is larger than a spool record may be (${JOURNAL_RECORD_MAX_BYTES} bytes, --spool-dir): lower --body-limit`);
  }
}
