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
 * @returns The logger.
 * @example
 * ```ts
 * const log = createLogger((line) => process.stderr.write(line), "info", Date.now);
 * log.info("listening", { port: 8080 });
 * // {"time":"2026-11-27T08:00:00.000Z","level":"info","message":"listening","port":8080}
 * ```
 */
export function createLogger(write: (line: string) => void, level: LogLevel, now: () => number): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at = (lineLevel: LogLevel) => {
    if (LOG_LEVELS.indexOf(lineLevel) < threshold) return () => {};
    return (message: string, fields?: LogFields) => {
      write(`${JSON.stringify({ time: new Date(now()).toISOString(), level: lineLevel, message, ...fields })}\n`);
    };
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
