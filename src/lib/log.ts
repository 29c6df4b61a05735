import type { Writable } from "node:stream";

/** Log levels, from most to least verbose. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** How log lines are written: one JSON object each, or `time level message key=value …` for a terminal. */
export const LOG_FORMATS = ["json", "text"] as const;

/** One of {@link LOG_FORMATS}. */
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Fields of a log line beside `time`, `level` and `message`. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Writes structured log lines. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/**
 * Makes a logger that writes one JSON object per line: `time`, `level`, `message`, then the fields.
 *
 * @param write Where lines go (stderr in the CLI: stdout carries events only).
 * @param level The least severe level written.
 * @param now The clock, in milliseconds since the epoch.
 * @param context Fields on every line (a worker process's `worker` index).
 * @param format `json` (the default), or `text`: see {@link formatLogLine}.
 * @returns The logger.
 * @example
 * ```ts
 * const log = createLogger((line) => process.stderr.write(line), "info", Date.now);
 * log.info("listening", { port: 8080 });
 * // {"time":"2026-11-27T08:00:00.000Z","level":"info","message":"listening","port":8080}
 * ```
 */
export function createLogger(write: (line: string) => void, level: LogLevel, now: () => number, context?: LogFields, format: LogFormat = "json"): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at = (lineLevel: LogLevel) => {
    if (LOG_LEVELS.indexOf(lineLevel) < threshold) return () => {};
    return (message: string, fields?: LogFields) => {
      const time = new Date(now()).toISOString();
      write(format === "json" ? `${JSON.stringify({ time, level: lineLevel, message, ...context, ...fields })}\n` : formatLogLine(time, lineLevel, message, { ...context, ...fields }));
    };
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/**
 * One log line as text, for people reading logs in a terminal: `time level message key=value …`.
 * A value is written bare when it is a string of visible characters without `"` or `=`, else as
 * JSON (so a line never spans two lines, and a value with spaces stays one value).
 *
 * @param time RFC 3339.
 * @param level The line's level.
 * @param message The message.
 * @param fields The other fields.
 * @returns The line, with its newline.
 * @example
 * ```ts
 * formatLogLine("2026-11-27T08:00:00.000Z", "info", "listening", { port: 8080, path: "/webhooks/telnyx" });
 * // "2026-11-27T08:00:00.000Z info listening port=8080 path=/webhooks/telnyx\n"
 * ```
 */
export function formatLogLine(time: string, level: LogLevel, message: string, fields: LogFields): string {
  let line = `${time} ${level} ${message.replace(/[\r\n]+/g, " ")}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    const bare = typeof value === "string" && /^[^\s"=]+$/.test(value);
    line += ` ${key}=${bare ? value : JSON.stringify(value)}`;
  }
  return `${line}\n`;
}

/**
 * A line writer for a stream that may be slow or gone: the log must never cost the relay its memory
 * or its life. Past `maxBufferedBytes` waiting in the stream, lines are dropped and counted (the
 * count is written once there is room again); a failed stream (EPIPE) stops logging, silently.
 *
 * @param stream stderr, usually.
 * @param maxBufferedBytes How much may wait in the stream before lines are dropped.
 * @returns A `write` function for {@link createLogger}.
 * @example
 * ```ts
 * const log = createLogger(boundedWriter(process.stderr, 1 << 20), "info", Date.now);
 * ```
 */
export function boundedWriter(stream: Writable, maxBufferedBytes: number): (line: string) => void {
  let broken = false;
  let dropped = 0;
  stream.on("error", () => {
    broken = true;
  });
  return (line) => {
    if (broken) return;
    if (stream.writableLength > maxBufferedBytes) {
      dropped++;
      return;
    }
    if (dropped > 0) {
      stream.write(`${JSON.stringify({ time: new Date().toISOString(), level: "warn", message: "log lines dropped: stderr was not being read", dropped })}\n`);
      dropped = 0;
    }
    stream.write(line);
  };
}
