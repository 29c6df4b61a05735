import { PassThrough, type Writable } from "node:stream";
import { DEFAULT_TEXML_REPLY } from "../../src/events/texml-reply.ts";
import { startApp, type RunningApp } from "../../src/app.ts";
import type { ServerTuning } from "../../src/server/listen.ts";
import type { Config } from "../../src/config/load.ts";
import { optionDefault } from "../../src/config/options.ts";
import { createLogger } from "../../src/lib/log.ts";
import type { TestKeys } from "./keys.ts";

/** A relay running in this process on an ephemeral loopback port, with its stdout and logs captured. */
export interface TestRelay {
  readonly app: RunningApp;
  readonly port: number;
  readonly url: string;
  /** Lines written to the relay's stdout so far. */
  readonly lines: string[];
  /** Log entries written so far. */
  readonly logs: Array<Record<string, unknown>>;
  stop(): Promise<number>;
}

/** Starts a relay with test defaults; `overrides` replace config fields, `stdout` the event stream, `tuning` server limits. */
export async function startTestRelay(keys: TestKeys, overrides: Partial<Config> = {}, stdout?: Writable, tuning?: ServerTuning): Promise<TestRelay> {
  const lines: string[] = [];
  const logs: Array<Record<string, unknown>> = [];
  let out = stdout;
  if (out === undefined) {
    const pass = new PassThrough();
    let pending = "";
    pass.on("data", (chunk: Buffer) => {
      pending += chunk.toString("utf8");
      let end: number;
      while ((end = pending.indexOf("\n")) !== -1) {
        lines.push(pending.slice(0, end));
        pending = pending.slice(end + 1);
      }
    });
    out = pass;
  }
  // The relay's defaults (from the option table), but for what a test needs otherwise: an ephemeral
  // loopback port, a dead-letter file that cannot be written, shorter waits, every log line.
  const config: Config = {
    keys: [keys.publicKey],
    host: "127.0.0.1",
    port: 0,
    path: optionDefault("path"),
    toleranceSeconds: optionDefault("tolerance"),
    bodyLimit: optionDefault("body-limit"),
    deadLetterFile: "/nonexistent-dir/dead-letter.jsonl",
    deadLetterMaxBytes: optionDefault("dead-letter-max-bytes"),
    sinkTimeoutMs: 2000,
    requestTimeoutMs: optionDefault("request-timeout"),
    shutdownTimeoutMs: 5000,
    logLevel: "debug",
    logFormat: optionDefault("log-format"),
    dedupWindowMs: optionDefault("dedup-window"),
    workers: optionDefault("workers"),
    events: [],
    forward: undefined,
    nats: undefined,
    spool: undefined,
    texmlReply: DEFAULT_TEXML_REPLY,
    ...overrides,
  };
  const log = createLogger((line) => logs.push(JSON.parse(line) as Record<string, unknown>), config.logLevel, Date.now);
  const app = await startApp(config, { stdout: out, log, now: Date.now }, { kind: "main" }, tuning);
  return {
    app,
    port: app.port,
    url: `http://127.0.0.1:${app.port}${config.path}`,
    lines,
    logs,
    stop: () => app.stop("test over"),
  };
}
