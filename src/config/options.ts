/**
 * Every option of the relay, in one typed table keyed by flag name: its environment variable, its
 * default, the parser of its value, its `--help` line and its README text. The CLI, the config
 * loader, `--help`, the README's table (checked by test/readme.test.ts) and deno.json's
 * `--allow-env` list (test/deno-json.test.ts) all come from it. Defaults live here only.
 *
 * @module
 */
import type { KeyObject } from "node:crypto";
import { parsePublicKey } from "../crypto/public-key.ts";
import type { LogFormat, LogLevel } from "../lib/log.ts";
import { parseForwardUrl, parseHeader, parseSecret } from "./forward-values.ts";
import { parseEventPattern } from "../events/event-filter.ts";
import { parseNatsUrls, parseSubjectTemplate } from "./nats-values.ts";
import { fail, ok, type Parsed } from "./parsed.ts";
import {
  countFrom1To,
  MAX_SPOOL_BYTES,
  parseDurationMs,
  parseDurationSeconds,
  parseLogFormat,
  parseLogLevel,
  parseNonBlank,
  parsePath,
  parsePort,
  parsePositiveDurationMs,
  parseSize,
  parseTrimmed,
} from "./values.ts";

/** The headings `--help` lists the options under, in this order (the table's order too). */
export const OPTION_GROUPS = {
  verification: "Verification",
  listening: "Listening",
  output: "Output",
  forwarding: "Forwarding (instead of stdout)",
  nats: "Publishing to NATS JetStream (instead of stdout)",
  spool: "Spooled forwarding",
  processes: "Processes and timeouts",
  logging: "Logging",
} as const;

/** One of {@link OPTION_GROUPS}. */
export type OptionGroup = keyof typeof OPTION_GROUPS;

/** One configurable option; `T` is the type of its parsed value (of each value, when repeatable). */
export interface OptionSpec<T> {
  /** The environment variable that sets it when the flag is not given. */
  readonly env: string;
  /** The name of the value in `--help` and the README (`PORT`, `DURATION`). */
  readonly value: string;
  /** The default, as a user would write it (it goes through {@link OptionSpec.parse}); undefined: none. */
  readonly default: string | undefined;
  /** What leaving it unset means, when there is no default ("all interfaces"); "" when nothing to say. */
  readonly unset: string;
  readonly parse: (text: string) => Parsed<T>;
  /** The flag may be given several times (the env var then takes a list, split on {@link OptionSpec.separator}). */
  readonly multiple: boolean;
  /** What separates list items in the env var: "," or, for values that may hold commas, a newline. */
  readonly separator: "," | "\n";
  readonly group: OptionGroup;
  /** One or two sentences for `--help` (wrapped there). */
  readonly help: string;
  /** The README's "meaning" cell (Markdown); longer than `help` where there is more to say. */
  readonly doc: string;
}

type Row<T> = Omit<OptionSpec<T>, "multiple" | "separator" | "unset" | "default"> & Partial<Pick<OptionSpec<T>, "multiple" | "separator" | "unset" | "default">>;
const option = <T>(row: Row<T>): OptionSpec<T> => ({ multiple: false, separator: ",", unset: "", default: undefined, ...row });

function parseKey(text: string): Parsed<KeyObject> {
  try {
    return ok(parsePublicKey(text));
  } catch (error) {
    // parsePublicKey's messages never repeat the key.
    return fail((error as Error).message);
  }
}

/** The options, keyed by flag name (`--public-key` is `"public-key"`), in the order `--help` lists them. */
export const OPTIONS = {
  "public-key": option({
    env: "TELNYX_PUBLIC_KEY", value: "KEY", unset: "required, or a key file", parse: parseKey, multiple: true, group: "verification",
    help: "Telnyx webhook public key: base64 as the portal shows it, or a PEM block. Repeat (env: comma-separated) to accept several during a rotation.",
    doc: "Telnyx webhook public key: base64 as the portal shows it, or a PEM block. Repeat the flag (or separate with commas in the variable) to accept several during a rotation.",
  }),
  "public-key-file": option({
    env: "TELNYX_PUBLIC_KEY_FILE", value: "PATH", parse: parseTrimmed, multiple: true, group: "verification",
    help: "Read a public key from a file (e.g. a mounted secret). Repeatable.",
    doc: "Read a public key from a file (e.g. a mounted secret). Repeatable / comma-separated.",
  }),
  tolerance: option({
    env: "TELNYX_RELAY_TOLERANCE", value: "DURATION", default: "300s", parse: parseDurationSeconds, group: "verification",
    help: "How far telnyx-timestamp may be from now, either way.",
    doc: "How far `telnyx-timestamp` may be from now, either way (Telnyx's SDKs use 300 s).",
  }),
  host: option({
    env: "TELNYX_RELAY_HOST", value: "HOST", unset: "all interfaces", parse: parseTrimmed, group: "listening",
    help: "Address to listen on.",
    doc: "Address to listen on.",
  }),
  port: option({
    env: "TELNYX_RELAY_PORT", value: "PORT", default: "8080", parse: parsePort, group: "listening",
    help: "TCP port to listen on; 0 picks a free one (see the `listening` log line).",
    doc: "TCP port; `0` picks a free one (the `listening` log line says which).",
  }),
  path: option({
    env: "TELNYX_RELAY_PATH", value: "PATH", default: "/webhooks/telnyx", parse: parsePath, group: "listening",
    help: "URL path Telnyx POSTs to (not /healthz, /readyz or /metrics).",
    doc: "URL path Telnyx POSTs to; a query string is ignored. `/healthz`, `/readyz` and `/metrics` are the relay's own, and refused.",
  }),
  "body-limit": option({
    env: "TELNYX_RELAY_BODY_LIMIT", value: "SIZE", default: "256KiB", parse: (text) => parseSize(text), group: "listening",
    help: "Largest body accepted; larger is answered 413 unread.",
    doc: "Largest body accepted; counted while reading, whatever `Content-Length` says. The other size limits must agree with it, or the relay does not start (exit 2, one line naming both): with `--spool-dir` at most 16 MiB (a spool record); with `--nats-url` at most the server's `max_payload` (checked once a server answered at start-up). A signed JSON body over 1 MiB (the JSON limit) is `413` whatever this says.",
  }),
  "texml-reply": option({
    env: "TELNYX_RELAY_TEXML_REPLY", value: "PATH", unset: "an empty `<Response/>`", parse: parseNonBlank, group: "output",
    help: "File with the TeXML document every TeXML callback is answered with (read at start-up).",
    doc: "File with the TeXML document every TeXML callback is answered with (`Content-Type: application/xml`), read at start-up: a regular file of at most 64 KiB of UTF-8, refused unless it starts with `<?xml` or `<Response`. Unset: an empty `<Response/>`. In synchronous forwarding a downstream's 2xx XML answer is passed back instead (see [TeXML answers](#texml-answers)).",
  }),
  "dead-letter-file": option({
    env: "TELNYX_RELAY_DEAD_LETTER_FILE", value: "PATH", default: "telnyx-relay-dead-letter.jsonl", parse: parseNonBlank, group: "output",
    help: "JSON-lines file where signed but invalid events are kept.",
    doc: "JSON-lines file (in the working directory by default) where signed but invalid deliveries are kept. Created with the first dead letter; checked at start-up (the file writable, or its directory), so a location that cannot be written is a start-up error.",
  }),
  "dead-letter-max-bytes": option({
    env: "TELNYX_RELAY_DEAD_LETTER_MAX_BYTES", value: "SIZE", default: "64MiB", parse: (text) => parseSize(text, MAX_SPOOL_BYTES), group: "output",
    help: "Dead-letter file size limit; past it new dead letters are refused (503).",
    doc: "Dead-letter file size limit (also `GiB`). Past it a new dead letter is refused: the invalid delivery is answered `503 dead_letter_unavailable` (Telnyx delivers it again) instead of `400`, and nothing old is deleted. Moving or truncating the file makes room. Identical deliveries are stored once.",
  }),
  events: option({
    env: "TELNYX_RELAY_EVENTS", value: "PATTERN", unset: "every type", parse: parseEventPattern, multiple: true, group: "output",
    help: "Hand on only events whose CloudEvents type matches (* for any characters); others are answered 200 and dropped. Repeatable (env: comma-separated).",
    doc: "Hand on only events whose CloudEvents type matches one of these patterns (`*` stands for any characters, e.g. `com.telnyx.call.*`); the others are answered 200, counted in `telnyx_relay_events_filtered_total`, and not handed on. Repeat the flag, or separate with commas in the variable.",
  }),
  "sink-timeout": option({
    env: "TELNYX_RELAY_SINK_TIMEOUT", value: "DURATION", default: "1.5s", parse: parsePositiveDurationMs, group: "output",
    help: "How long a request waits for a blocked stdout, the spool's disk or the dead-letter file's before 503.",
    doc: "How long a request waits for a blocked stdout, for the spool's disk (`--spool-dir`: write + `fdatasync`) or for the dead-letter file's before it is answered 503: within Telnyx's 2 s webhook deadline, with margin (see [Telnyx's deadline](#telnyxs-2-second-deadline)). A disk write that is late goes on, and `/readyz` answers 503 until it is done. Must be shorter than `--request-timeout` and `--shutdown-timeout` (as must `--forward-timeout` in synchronous mode), so a waiting request always gets its 503.",
  }),
  "dedup-window": option({
    env: "TELNYX_RELAY_DEDUP_WINDOW", value: "DURATION", default: "1h", parse: parseDurationMs, group: "output",
    help: "An event id already accepted within this window is answered 200 and not handed on again; 0 turns it off.",
    doc: "An event whose id was already accepted within this window is answered 200 (`\"status\":\"duplicate\"`) and not handed on again ([which deliveries share an id](docs/events.md#event-ids); in synchronous forwarding a TeXML callback is forwarded every time). `0` turns deduplication off. Remembered in memory (at most 250,000 ids, the oldest forgotten first: 32 bytes an id with its index, at most ~8 MB), and in spooled mode across restarts.",
  }),
  "forward-url": option({
    env: "TELNYX_RELAY_FORWARD_URL", value: "URL", unset: "stdout", parse: parseForwardUrl, group: "forwarding",
    help: "POST each event to this http(s) URL instead of writing it to stdout.",
    doc: "POST each event to this `http://` or `https://` URL instead of writing it to stdout (see [Forwarding](#forwarding-to-your-app)).",
  }),
  "forward-header": option({
    env: "TELNYX_RELAY_FORWARD_HEADER", value: "'NAME: VALUE'", parse: parseHeader, multiple: true, separator: "\n", group: "forwarding",
    help: "Extra header on every forwarded request. Repeatable (env: one per line).",
    doc: "Extra header on every forwarded request, e.g. `Authorization: Bearer …`. Repeat the flag; in the variable, one header per line. Headers the relay sets itself (`Content-Type`, `Idempotency-Key`, `ce-id`, `webhook-*`, …) cannot be replaced.",
  }),
  "forward-secret": option({
    env: "TELNYX_RELAY_FORWARD_SECRET", value: "whsec_…", unset: "unsigned", parse: parseSecret, group: "forwarding",
    help: "Sign forwarded requests the Standard Webhooks way with this secret.",
    doc: "Sign each forwarded request the [Standard Webhooks](https://www.standardwebhooks.com/) way.",
  }),
  "forward-timeout": option({
    env: "TELNYX_RELAY_FORWARD_TIMEOUT", value: "DURATION", default: "1.5s", parse: parsePositiveDurationMs, group: "forwarding",
    help: "Deadline of one forwarded request.",
    doc: "Deadline of one forwarded request. Synchronous mode: Telnyx gets its answer only after it, so the default fits inside Telnyx's 2 s webhook deadline with margin (see [Telnyx's deadline](#telnyxs-2-second-deadline)).",
  }),
  "nats-url": option({
    env: "TELNYX_RELAY_NATS_URL", value: "URL", unset: "stdout", parse: parseNatsUrls, multiple: true, group: "nats",
    help: "Publish each event to NATS JetStream through these servers (nats:// or tls://; repeat, or comma-separated) instead of stdout.",
    doc: "Publish each event to NATS JetStream through these servers (`nats://host:4222` or `tls://…`; repeat the flag, or separate with commas), instead of writing it to stdout. More servers are learnt from the cluster. See [Publishing to NATS JetStream](#publishing-to-nats-jetstream).",
  }),
  "nats-subject": option({
    env: "TELNYX_RELAY_NATS_SUBJECT", value: "SUBJECT", default: "telnyx.{type}", parse: parseSubjectTemplate, group: "nats",
    help: "The subject to publish to; {type} is replaced by the event type (dots kept).",
    doc: "The subject to publish to; `{type}` is replaced by the event type, its dots kept as token separators (`telnyx.com.telnyx.call.hangup`); other characters than letters, digits, `-` and `_` become `_`. A stream must capture it.",
  }),
  "nats-timeout": option({
    env: "TELNYX_RELAY_NATS_TIMEOUT", value: "DURATION", default: "1.5s", parse: parsePositiveDurationMs, group: "nats",
    help: "How long a publish waits for JetStream's acknowledgement (synchronous mode: keep it below Telnyx's 2 s).",
    doc: "How long a publish waits for JetStream's acknowledgement (PubAck), and the connection handshake. Synchronous mode: no PubAck in time is a 503, so keep it below Telnyx's 2-second deadline.",
  }),
  "nats-user": option({
    env: "TELNYX_RELAY_NATS_USER", value: "NAME", parse: parseNonBlank, group: "nats",
    help: "NATS user name (with --nats-password).",
    doc: "NATS user name, with `--nats-password`.",
  }),
  "nats-password": option({
    env: "TELNYX_RELAY_NATS_PASSWORD", value: "PASSWORD", parse: parseNonBlank, group: "nats",
    help: "NATS password (with --nats-user). Prefer the variable to the flag.",
    doc: "NATS password, with `--nats-user`. Prefer the variable (a flag shows in `ps`). Never logged.",
  }),
  "nats-token": option({
    env: "TELNYX_RELAY_NATS_TOKEN", value: "TOKEN", parse: parseNonBlank, group: "nats",
    help: "NATS authentication token. Prefer the variable to the flag.",
    doc: "NATS authentication token. Prefer the variable. Never logged.",
  }),
  "nats-nkey": option({
    env: "TELNYX_RELAY_NATS_NKEY", value: "PATH", parse: parseNonBlank, group: "nats",
    help: "File holding an NKey user seed (SU…): the server's nonce is signed with it.",
    doc: "File holding an NKey user seed (`SU…`); the relay signs the server's nonce with it (Ed25519).",
  }),
  "nats-creds": option({
    env: "TELNYX_RELAY_NATS_CREDS", value: "PATH", parse: parseNonBlank, group: "nats",
    help: "A .creds file (user JWT and seed), for servers in operator (JWT) mode.",
    doc: "A `.creds` file (user JWT and NKey seed, as `nsc` writes it), for servers in operator (JWT) mode.",
  }),
  "nats-ca": option({
    env: "TELNYX_RELAY_NATS_CA", value: "PATH", unset: "the system's CAs", parse: parseNonBlank, group: "nats",
    help: "PEM file of the CA(s) to trust for NATS TLS; the server name is checked.",
    doc: "PEM file of the CA certificates to trust for TLS to NATS, instead of the system's. The certificate must name the URL's host. TLS is used when the URL is `tls://` or the server requires it.",
  }),
  "spool-dir": option({
    env: "TELNYX_RELAY_SPOOL_DIR", value: "PATH", unset: "synchronous", parse: parseNonBlank, group: "spool",
    help: "Spool events here (fsync) before answering 200, and forward or publish them in the background.",
    doc: "Spooled mode (with `--forward-url` or `--nats-url`): journal events here, on disk, before answering 200; deliver in the background.",
  }),
  "spool-max-bytes": option({
    env: "TELNYX_RELAY_SPOOL_MAX_BYTES", value: "SIZE", default: "64MiB", parse: (text) => parseSize(text, MAX_SPOOL_BYTES), group: "spool",
    help: "Spool size limit; past it new events are answered 503.",
    doc: "Spool size limit (also `GiB`); past it new events are answered `503 spool_full`. Undelivered events are held in memory too, about 4× their size on disk: 64 MiB of backlog (≈ 85,000 REFER events) costs about 250 MB of RAM.",
  }),
  "delivery-concurrency": option({
    env: "TELNYX_RELAY_DELIVERY_CONCURRENCY", value: "N", default: "8", parse: countFrom1To(1024), group: "spool",
    help: "Forwarded requests in flight at once.",
    doc: "Spooled mode: forwarded requests in flight at once.",
  }),
  "retry-max-delay": option({
    env: "TELNYX_RELAY_RETRY_MAX_DELAY", value: "DURATION", default: "5m", parse: parsePositiveDurationMs, group: "spool",
    help: "The cap of the exponential backoff between retries.",
    doc: "Spooled mode: cap of the exponential backoff (first retry within 0.5 s, doubling, full jitter). The backoff is per downstream: while it runs, no event is sent.",
  }),
  workers: option({
    env: "TELNYX_RELAY_WORKERS", value: "N", default: "1", parse: countFrom1To(64), group: "processes",
    help: "Processes answering on the port (SO_REUSEPORT), for a machine's cores; one of them writes every event and keeps the dedup set. Node only.",
    doc: "Processes answering on the port, 1 to 64, to use more than one core (see [Several cores](#several-cores---workers)). Node only: under Deno a value above 1 is a start-up error.",
  }),
  "request-timeout": option({
    env: "TELNYX_RELAY_REQUEST_TIMEOUT", value: "DURATION", default: "30s", parse: parsePositiveDurationMs, group: "processes",
    help: "Time a client has to send a whole request (headers: at most 10s).",
    doc: "Time a client has to send a whole request; headers must arrive within 10 s (or this, if shorter). Idle keep-alive connections close after 65 s (longer than the usual proxy idle timeout of 60 s); at most 1,024 connections at once.",
  }),
  "shutdown-timeout": option({
    env: "TELNYX_RELAY_SHUTDOWN_TIMEOUT", value: "DURATION", default: "10s", parse: parsePositiveDurationMs, group: "processes",
    help: "On SIGTERM/SIGINT, how long to finish in-flight requests and flush.",
    doc: "On SIGTERM/SIGINT, how long to finish in-flight requests and flush stdout.",
  }),
  "log-level": option<LogLevel>({
    env: "TELNYX_RELAY_LOG_LEVEL", value: "LEVEL", default: "info", parse: parseLogLevel, group: "logging",
    help: "debug, info, warn or error. Logs are JSON lines on stderr.",
    doc: "`debug`, `info`, `warn` or `error`.",
  }),
  "log-format": option<LogFormat>({
    env: "TELNYX_RELAY_LOG_FORMAT", value: "FORMAT", default: "json", parse: parseLogFormat, group: "logging",
    help: "json (one object a line) or text (time level message key=value), for a terminal.",
    doc: "`json`: one JSON object a line on stderr; `text`: `time level message key=value …`, one line each, for people reading logs in a terminal.",
  }),
};

/** The name of an option: its flag without the dashes. A misspelt name does not type-check. */
export type OptionName = keyof typeof OPTIONS;

/** The parsed type of option `K`'s value (of each value, for a repeatable option). */
export type OptionValue<K extends OptionName> = (typeof OPTIONS)[K] extends OptionSpec<infer T> ? T : never;

/** Every option name, in table order. */
export const OPTION_NAMES: readonly OptionName[] = Object.keys(OPTIONS) as OptionName[];

/**
 * The parsed default of an option: the one place the relay's defaults come from (the loader's,
 * the health check's, the tests').
 *
 * @param name An option with a default.
 * @returns Its default, parsed.
 * @throws {RangeError} If the option has no default or its default does not parse (a bug in the table).
 * @example
 * ```ts
 * optionDefault("port"); // 8080
 * ```
 */
export function optionDefault<K extends OptionName>(name: K): OptionValue<K> {
  const spec = OPTIONS[name] as OptionSpec<OptionValue<K>>;
  const parsed = spec.default === undefined ? fail<OptionValue<K>>("there is none") : spec.parse(spec.default);
  if (!parsed.ok) throw new RangeError(`The default of --${name}: ${parsed.message}`);
  return parsed.value;
}
