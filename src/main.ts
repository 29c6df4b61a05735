// The command-line entry point: arguments and environment in, an exit status out. The only file
// that exits the process.
import { readFileSync } from "node:fs";
import { Socket } from "node:net";
import process from "node:process";
import { startApp, type AppRole } from "./app.ts";
import { processIo } from "./commands/command-io.ts";
import { subcommand } from "./commands/commands.ts";
import { parseCli } from "./config/cli.ts";
import { healthTarget } from "./config/health-target.ts";
import { helpText } from "./config/help.ts";
import { loadConfig } from "./config/load.ts";
import { OPTION_NAMES, OPTIONS } from "./config/options.ts";
import { readableEnv } from "./config/readable-env.ts";
import { checkHealth } from "./server/healthcheck.ts";
import { checkWritable } from "./lib/check-writable.ts";
import { readTextFile } from "./lib/read-text-file.ts";
import { boundedWriter, createLogger } from "./lib/log.ts";
import { VERSION } from "./lib/version.ts";
import { within } from "./lib/within.ts";
import { parseWorkerEnv, WORKER_ENV } from "./workers/worker-env.ts";

const USAGE_ERROR = 2;
// Log lines waiting for a slow stderr past this are dropped (and counted), not buffered.
const STDERR_BUFFER_BYTES = 1 << 20;
const RUNTIME_ERROR = 1;
// Well inside a container engine's default HEALTHCHECK timeout (30 s).
const HEALTHCHECK_TIMEOUT_MS = 3_000;

async function main(): Promise<number> {
  // keygen, send, replay: tools around the relay (src/commands/).
  const command = subcommand(process.argv.slice(2));
  if (command !== undefined) return command(process.argv.slice(3), await processIo(process.env));
  const cli = parseCli(process.argv.slice(2));
  switch (cli.command) {
    case "help":
      process.stdout.write(helpText(VERSION));
      return 0;
    case "version":
      process.stdout.write(`telnyx-relay ${VERSION} (${runtime()})\n`);
      return 0;
    case "usage-error":
      process.stderr.write(`telnyx-relay: ${cli.message} (see --help)\n`);
      return USAGE_ERROR;
    case "healthcheck": {
      const target = healthTarget(process.env);
      const { healthy, message } = target.ok ? await checkHealth(target.value, HEALTHCHECK_TIMEOUT_MS) : { healthy: false, message: target.message };
      (healthy ? process.stdout : process.stderr).write(`telnyx-relay healthcheck: ${message}\n`);
      return healthy ? 0 : RUNTIME_ERROR;
    }
  }

  // Under Deno with --allow-env=NAMES the environment cannot be listed: only the relay's own names
  // are read, and a misspelt variable cannot be noticed (a warning says so, after `listening`).
  const { env, reason: unchecked } = readableEnv(process.env, OPTION_NAMES.map((name) => OPTIONS[name].env));
  const worker = parseWorkerEnv(env[WORKER_ENV]);
  const { [WORKER_ENV]: _worker, ...settings } = env;
  const loaded = loadConfig(cli.flags, settings, (path, maxBytes) => (maxBytes === undefined ? readFileSync(path, "utf8") : readTextFile(path, maxBytes)));
  if (!loaded.ok) {
    for (const error of loaded.errors) process.stderr.write(`telnyx-relay: ${error}\n`);
    return USAGE_ERROR;
  }
  if (loaded.config.workers > 1 && runtime().startsWith("deno")) {
    process.stderr.write("telnyx-relay: --workers above 1 needs Node: Deno's node:http cannot share a port between processes (SO_REUSEPORT)\n");
    return USAGE_ERROR;
  }
  // A worker binds the port the main process got (which may have been picked for --port 0).
  const config = worker === undefined ? loaded.config : { ...loaded.config, port: worker.port };
  const role: AppRole = worker === undefined ? { kind: "main" } : { kind: "worker", index: worker.index, channel: new Socket({ fd: 3, readable: true, writable: true }) };
  // Created with the first dead letter, but checked now, so an unwritable location is a start-up
  // error, not a 503 for every invalid event later.
  const unwritable = checkWritable(config.deadLetterFile);
  if (unwritable !== undefined) {
    process.stderr.write(`telnyx-relay: --dead-letter-file: cannot open ${config.deadLetterFile} for appending: ${unwritable}\n`);
    return USAGE_ERROR;
  }

  const log = createLogger(boundedWriter(process.stderr, STDERR_BUFFER_BYTES), config.logLevel, Date.now, worker && { worker: worker.index }, config.logFormat);
  // A signal while starting (the main process listens, and answers, while its workers start) is
  // kept, and acted on as soon as there is a relay to stop; a second one ends the process at once.
  let early: NodeJS.Signals | undefined;
  const keep = (signal: NodeJS.Signals): void => {
    if (early !== undefined) process.exit(RUNTIME_ERROR);
    early = signal;
  };
  process.on("SIGTERM", keep);
  process.on("SIGINT", keep);
  let app;
  try {
    app = await startApp(config, { stdout: process.stdout, log, now: Date.now }, role);
  } catch (error) {
    // Still before listening (address in use or not available, spool directory not writable…):
    // like a bad option, one plain line and status 2.
    process.stderr.write(`telnyx-relay: cannot start: ${String((error as Error).message).split("\n")[0]}\n`);
    return USAGE_ERROR;
  }
  const running = app;
  const onSignal = (signal: NodeJS.Signals): void => {
    void running.stop(signal);
  };
  // Handlers first: whoever reads the `listening` line may signal at once.
  process.off("SIGTERM", keep);
  process.off("SIGINT", keep);
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  // Workers say so in their own words: "listening" is the main process's, once every worker listens too.
  log.info(worker === undefined ? "listening" : "worker listening", {
    address: app.address,
    port: app.port,
    pid: process.pid,
    path: config.path,
    keys: config.keys.length,
    sink: app.sink,
    ...(config.workers > 1 && worker === undefined ? { workers: config.workers } : {}),
    ...(app.recovered === undefined ? {} : { recovered: app.recovered }),
    version: VERSION,
  });
  // After `listening`, which stays the first line (scripts and tests wait for it).
  if (unchecked !== undefined) log.warn("misspelt variables cannot be noticed", { check: "unknown TELNYX_RELAY_* and TELNYX_PUBLIC_KEY* variables", reason: unchecked });
  if (early !== undefined) onSignal(early);
  return app.stopped;
}

/** The runtime and its version: Deno also answers `process.version`, with the Node version it mimics. */
function runtime(): string {
  const deno = (process.versions as Record<string, string | undefined>).deno;
  return deno === undefined ? `node ${process.version}` : `deno ${deno}`;
}

/** Exits once what was written to stdout and stderr has left the process (at most a second). */
async function exit(code: number): Promise<never> {
  const flushed = (stream: NodeJS.WriteStream) =>
    new Promise<void>((resolve) => {
      if (stream.writableLength === 0 || stream.destroyed) return resolve();
      stream.write("", () => resolve());
    });
  await within(Promise.all([flushed(process.stdout), flushed(process.stderr)]), 1000);
  process.exit(code);
}

main().then(exit, (error: unknown) => {
  process.stderr.write(`telnyx-relay: unexpected failure: ${(error as Error)?.stack ?? String(error)}\n`);
  return exit(RUNTIME_ERROR);
});
