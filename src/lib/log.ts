import type { Writable } from "node:stream";

/** Log levels, from most to least verbose. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

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
 * @returns The logger.
 * @example
 * ```ts
 * const log = createLogger((line) => process.stderr.write(line), "info", Date.now);
 * log.info("listening", { port: 8080 });
 * // {"time":"2026-11-27T08:00:00.000Z","level":"info","message":"listening","port":8080}
 * ```
 */
export function createLogger(write: (line: string) => void, level: LogLevel, now: () => number, context?: LogFields): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at = (lineLevel: LogLevel) => {
    if (LOG_LEVELS.indexOf(lineLevel) < threshold) return () => {};
    return (message: string, fields?: LogFields) => {
      write(`${JSON.stringify({ time: new Date(now()).toISOString(), level: lineLevel, message, ...context, ...fields })}\n`);
    };
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
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
