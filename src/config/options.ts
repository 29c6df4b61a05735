/**
 * Every option of the relay, in one table: its flag, its environment variable, its default and its
 * help line. The CLI parser, the config loader, `--help` and the README are all made from this list.
 *
 * @module
 */

/** One configurable option. */
export interface OptionSpec {
  /** The flag without its dashes: `--public-key` is `public-key`. */
  readonly flag: string;
  /** The environment variable that sets it when the flag is not given. */
  readonly env: string;
  /** The name of the value in `--help`. */
  readonly value: string;
  /** The default, as a user would write it; undefined when there is none. */
  readonly default: string | undefined;
  /** The flag may be given several times (the env var then takes a list, split on {@link separator}). */
  readonly multiple: boolean;
  /** What separates list items in the env var: "," or, for values that may hold commas, a newline. */
  readonly separator: "," | "\n";
  readonly help: string;
}

const option = (
  flag: string,
  env: string,
  value: string,
  defaultValue: string | undefined,
  help: string,
  multiple = false,
  separator: "," | "\n" = ",",
): OptionSpec => ({ flag, env, value, default: defaultValue, multiple, separator, help });

/** The options, in the order `--help` lists them. */
export const OPTIONS: readonly OptionSpec[] = [
  option(
    "public-key",
    "TELNYX_PUBLIC_KEY",
    "KEY",
    undefined,
    "Telnyx webhook public key: base64 as the portal shows it, or a PEM block. Repeat (env: comma-separated) to accept several during a rotation.",
    true,
  ),
  option("public-key-file", "TELNYX_PUBLIC_KEY_FILE", "PATH", undefined, "Read a public key from a file (e.g. a mounted secret). Repeatable.", true),
  option("host", "TELNYX_RELAY_HOST", "HOST", undefined, "Address to listen on. Default: all interfaces."),
  option("port", "TELNYX_RELAY_PORT", "PORT", "8080", "TCP port to listen on; 0 picks a free one (see the `listening` log line)."),
  option("path", "TELNYX_RELAY_PATH", "PATH", "/webhooks/telnyx", "URL path Telnyx POSTs to."),
  option("tolerance", "TELNYX_RELAY_TOLERANCE", "DURATION", "300s", "How far telnyx-timestamp may be from now, either way."),
  option("body-limit", "TELNYX_RELAY_BODY_LIMIT", "SIZE", "256KiB", "Largest body accepted; larger is answered 413 unread."),
  option(
    "dead-letter-file",
    "TELNYX_RELAY_DEAD_LETTER_FILE",
    "PATH",
    "telnyx-relay-dead-letter.jsonl",
    "JSON-lines file where signed but invalid events are kept.",
  ),
  option("sink-timeout", "TELNYX_RELAY_SINK_TIMEOUT", "DURATION", "5s", "How long a request waits for a blocked stdout before 503."),
  option("request-timeout", "TELNYX_RELAY_REQUEST_TIMEOUT", "DURATION", "30s", "Time a client has to send a whole request (headers: at most 10s)."),
  option("shutdown-timeout", "TELNYX_RELAY_SHUTDOWN_TIMEOUT", "DURATION", "10s", "On SIGTERM/SIGINT, how long to finish in-flight requests and flush."),
  option("dedup-window", "TELNYX_RELAY_DEDUP_WINDOW", "DURATION", "1h", "An event id already accepted within this window is answered 200 and not handed on again; 0 turns it off."),
  option("forward-url", "TELNYX_RELAY_FORWARD_URL", "URL", undefined, "POST each event to this http(s) URL instead of writing it to stdout."),
  option(
    "forward-header",
    "TELNYX_RELAY_FORWARD_HEADER",
    "'NAME: VALUE'",
    undefined,
    "Extra header on every forwarded request. Repeatable (env: one per line).",
    true,
    "\n",
  ),
  option("forward-secret", "TELNYX_RELAY_FORWARD_SECRET", "whsec_…", undefined, "Sign forwarded requests the Standard Webhooks way with this secret."),
  option("forward-timeout", "TELNYX_RELAY_FORWARD_TIMEOUT", "DURATION", "5s", "Deadline of one forwarded request."),
  option("spool-dir", "TELNYX_RELAY_SPOOL_DIR", "PATH", undefined, "Spool events here (fsync) before answering 200, and forward them in the background."),
  option("spool-max-bytes", "TELNYX_RELAY_SPOOL_MAX_BYTES", "SIZE", "64MiB", "Spool size limit; past it new events are answered 503."),
  option("delivery-concurrency", "TELNYX_RELAY_DELIVERY_CONCURRENCY", "N", "8", "Spooled mode: forwarded requests in flight at once."),
  option("retry-max-delay", "TELNYX_RELAY_RETRY_MAX_DELAY", "DURATION", "5m", "Spooled mode: the cap of the exponential backoff between retries."),
  option(
    "workers",
    "TELNYX_RELAY_WORKERS",
    "N",
    "1",
    "Processes answering on the port (SO_REUSEPORT), for a machine's cores; one of them writes every event and keeps the dedup set. Node only.",
  ),
  option("log-level", "TELNYX_RELAY_LOG_LEVEL", "LEVEL", "info", "debug, info, warn or error. Logs are JSON lines on stderr."),
];
