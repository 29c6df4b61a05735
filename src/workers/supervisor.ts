import { spawn, type ChildProcess } from "node:child_process";
import process from "node:process";
import { isSea } from "node:sea";
import type { Duplex } from "node:stream";
import type { Logger } from "../lib/log.ts";
import type { HandOn } from "../pipeline/relay.ts";
import type { BoundedDeadLetterFile } from "../lib/dead-letter-file.ts";
import { within } from "../lib/within.ts";
import { createRelayMetrics } from "./relay-metrics.ts";
import { serveWorker, type WorkerLink } from "./serve-worker.ts";
import { WORKER_ENV } from "./worker-env.ts";

// A worker that exits is started again after this, doubling while it keeps failing, up to the cap.
const RESTART_DELAY_MS = 250;
const RESTART_DELAY_MAX_MS = 10_000;
// A worker that ran this long before it exited counts as healthy: its restart delay starts over.
const HEALTHY_RUN_MS = 30_000;
// After SIGKILL, how long to wait for the exit to be reported.
const KILL_WAIT_MS = 2_000;
// How often the main process tells the workers whether its sink can take events.
const READY_PUSH_INTERVAL_MS = 500;
// A scrape waits this long for each worker's metrics, then uses the last it sent.
const METRICS_PULL_TIMEOUT_MS = 1_000;

/** What {@link startWorkers} needs. */
export interface SupervisorOptions {
  /** Worker processes besides the main process. */
  readonly count: number;
  /** The port the main process listens on (workers bind it too, with SO_REUSEPORT). */
  readonly port: number;
  /** The main process's dedup → sink stages, which every worker's events go through. */
  readonly handOn: HandOn;
  /** The dead-letter file, which the main process alone writes (so that its bound and dedup hold). */
  readonly deadLetters: BoundedDeadLetterFile;
  /** The main process's own metrics (Prometheus text), to which the workers' are added. */
  readonly metrics: () => string;
  /** The main process's sink readiness, pushed to the workers for their `/readyz`. */
  readonly ready: () => boolean;
  /** Workers must say they listen within this, at start-up. */
  readonly startTimeoutMs: number;
  readonly log: Logger;
  /** The clock (ms since the epoch). */
  readonly now: () => number;
}

/** The running workers. */
export interface Workers {
  /** Signals every worker to stop (they drain their requests), and resolves once all exited or at the deadline. */
  stop(timeoutMs: number): Promise<void>;
  /** The whole relay's metrics: the main process's own plus every worker's, asked for now (Prometheus text). */
  scrape(): Promise<string>;
}

/**
 * Starts the worker processes and keeps them running: the same program with the same arguments
 * and environment plus {@link WORKER_ENV}, stdout pointed at stderr (only the main process writes events),
 * and a socket pair on fd 3 to hand their events to the main process. A worker that exits is started
 * again, with a growing delay while it keeps failing.
 *
 * @param options The count, the port, the main process's stages and the logger.
 * @returns The workers, once every one listens.
 * @throws {Error} If a worker exits or stays silent at start-up.
 * @example
 * ```ts
 * const workers = await startWorkers({ count: 1, port, handOn, deadLetters, metrics: () => metrics.render(), ready: () => sink.ready(), startTimeoutMs: 10_000, log, now: Date.now });
 * const text = await workers.scrape();
 * await workers.stop(5_000);
 * ```
 */
export async function startWorkers(options: SupervisorOptions): Promise<Workers> {
  const { count, port, ready, log, now } = options;
  const [command, baseArgs] = ownCommand();
  const running = new Set<ChildProcess>();
  const links = new Set<WorkerLink>();
  const relayMetrics = createRelayMetrics(options.metrics, METRICS_PULL_TIMEOUT_MS);
  const services = { handOn: options.handOn, deadLetters: options.deadLetters, scrape: () => relayMetrics.scrape() };
  let stopping = false;

  // `delayMs`: how long this start waited after the last exit (0 for the first start).
  const launch = (index: number, delayMs: number): Promise<void> =>
    new Promise<void>((listening, failed) => {
      const startedAt = now();
      const child = spawn(command, baseArgs, {
        env: { ...process.env, [WORKER_ENV]: `${index}:${port}` },
        stdio: ["ignore", 2, "inherit", "pipe"],
      });
      running.add(child);
      // Once per child, whether it exited or could not be started at all ('error' without 'exit').
      let ended = false;
      const end = (why: string, fields: Record<string, unknown>): void => {
        if (ended) return;
        ended = true;
        running.delete(child);
        links.delete(link);
        failed(new Error(`worker ${index} ${why} before it listened`));
        if (stopping) return;
        const next = delayMs === 0 || now() - startedAt >= HEALTHY_RUN_MS ? RESTART_DELAY_MS : Math.min(delayMs * 2, RESTART_DELAY_MAX_MS);
        log.error(`worker ${why}; starting it again`, { worker: index, pid: child.pid, ...fields, restartInMs: next });
        setTimeout(() => {
          if (!stopping) launch(index, next).catch(() => {});
        }, next).unref();
      };
      const events = {
        listening: () => {
          link.setReady(ready());
          listening();
        },
        garbled: (line: string) => log.error("worker sent a line that is not a frame", { worker: index, line: line.slice(0, 200) }),
      };
      const link = serveWorker(child.stdio[3] as Duplex, services, events, now);
      links.add(link);
      relayMetrics.add(link);
      child.once("error", (error: NodeJS.ErrnoException) => end("could not be started", { error: error.code ?? error.message }));
      child.once("exit", (code, signal) => end(`exited (${signal ?? `status ${code}`})`, { exitCode: code, signal }));
    });

  const pushReady = setInterval(() => {
    const now = ready();
    for (const link of links) link.setReady(now);
  }, READY_PUSH_INTERVAL_MS);
  pushReady.unref();

  const stop = async (timeoutMs: number): Promise<void> => {
    stopping = true;
    clearInterval(pushReady);
    const exited = [...running].map((child) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once("exit", () => resolve()))));
    for (const child of running) child.kill("SIGTERM");
    if (!(await within(Promise.all(exited), timeoutMs))) {
      log.warn("workers still running at the shutdown timeout; killing them");
      for (const child of running) child.kill("SIGKILL");
      // Gone for sure before the caller closes the sink their events go to.
      await within(Promise.all(exited), KILL_WAIT_MS);
    }
  };

  const started = Array.from({ length: count }, (_, i) => launch(i + 1, 0));
  let failure: Error | undefined;
  const inTime = await within(
    Promise.all(started).catch((error: Error) => {
      failure = error;
    }),
    options.startTimeoutMs,
  );
  if (failure !== undefined || !inTime) {
    await stop(1_000);
    throw failure ?? new Error(`the workers did not listen within ${options.startTimeoutMs} ms`);
  }
  return { stop, scrape: () => relayMetrics.scrape() };
}

/**
 * How to start this program again: a single executable is its own command (its node flags are
 * baked in); under node, the script follows node's own flags, less --inspect (the workers would
 * fight over the inspector's port).
 */
function ownCommand(): [string, string[]] {
  const userArgs = process.argv.slice(2);
  if (isSea()) return [process.execPath, userArgs];
  const nodeFlags = process.execArgv.filter((flag) => !flag.startsWith("--inspect"));
  return [process.execPath, [...nodeFlags, process.argv[1] as string, ...userArgs]];
}
