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
  /** The flag may be given several times (the env var then takes a comma-separated list). */
  readonly multiple: boolean;
  readonly help: string;
}

const option = (flag: string, env: string, value: string, defaultValue: string | undefined, help: string, multiple = false): OptionSpec => ({
  flag,
  env,
  value,
  default: defaultValue,
  multiple,
  help,
});

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
  option("log-level", "TELNYX_RELAY_LOG_LEVEL", "LEVEL", "info", "debug, info, warn or error. Logs are JSON lines on stderr."),
];
