import { spawn, type ChildProcess } from "node:child_process";
import process from "node:process";
import type { Duplex } from "node:stream";
import type { Logger } from "../log.ts";
import type { HandOn } from "../relay.ts";
import { within } from "../within.ts";
import { serveWorker, type WorkerLink } from "./channel.ts";

/** The environment variable that tells a process it is worker `<index>` on `<port>`: "index:port". */
export const WORKER_ENV = "TELNYX_RELAY_WORKER";

// A worker that exits is started again after this, doubling while it keeps failing, up to the cap.
const RESTART_DELAY_MS = 250;
const RESTART_DELAY_MAX_MS = 10_000;
// A worker that ran this long before it exited counts as healthy: its restart delay starts over.
const HEALTHY_RUN_MS = 30_000;
// How often the primary tells the workers whether its sink can take events.
const READY_PUSH_INTERVAL_MS = 500;

/** What {@link startWorkers} needs. */
export interface SupervisorOptions {
  /** Worker processes besides the primary. */
  readonly count: number;
  /** The port the primary listens on (workers bind it too, with SO_REUSEPORT). */
  readonly port: number;
  /** The primary's dedup → sink stages, which every worker's events go through. */
  readonly handOn: HandOn;
  /** The primary's sink readiness, pushed to the workers for their `/readyz`. */
  readonly ready: () => boolean;
  /** Workers must say they listen within this, at start-up. */
  readonly startTimeoutMs: number;
  readonly log: Logger;
}

/** The running workers. */
export interface Workers {
  /** Signals every worker to stop (they drain their requests), and resolves once all exited or at the deadline. */
  stop(timeoutMs: number): Promise<void>;
}

/**
 * Starts the worker processes and keeps them running: the same program with the same arguments
 * and environment plus {@link WORKER_ENV}, stdout pointed at stderr (only the primary writes events),
 * and a socket pair on fd 3 to hand their events to the primary. A worker that exits is started
 * again, with a growing delay while it keeps failing.
 *
 * @param options The count, the port, the primary's stages and the logger.
 * @returns The workers, once every one listens.
 * @throws {Error} If a worker exits or stays silent at start-up.
 * @example
 * ```ts
 * const workers = await startWorkers({ count: 1, port, handOn, ready: () => sink.ready(), startTimeoutMs: 10_000, log });
 * await workers.stop(5_000);
 * ```
 */
export async function startWorkers(options: SupervisorOptions): Promise<Workers> {
  const { count, port, handOn, ready, log } = options;
  const [command, baseArgs] = ownCommand();
  const running = new Set<ChildProcess>();
  const links = new Set<WorkerLink>();
  let stopping = false;

  const launch = (index: number, delayMs: number): Promise<void> =>
    new Promise<void>((listening, failed) => {
      const startedAt = Date.now();
      const child = spawn(command, baseArgs, {
        env: { ...process.env, [WORKER_ENV]: `${index}:${port}` },
        stdio: ["ignore", 2, "inherit", "pipe"],
      });
      running.add(child);
      const link = serveWorker(child.stdio[3] as Duplex, handOn, {
        listening: () => {
          link.setReady(ready());
          listening();
        },
        garbled: (line) => log.error("worker sent a line that is not a frame", { worker: index, line: line.slice(0, 200) }),
      });
      links.add(link);
      child.once("error", (error) => failed(error));
      child.once("exit", (code, signal) => {
        running.delete(child);
        links.delete(link);
        failed(new Error(`worker ${index} exited (${signal ?? `status ${code}`}) before it listened`));
        if (stopping) return;
        const next = Date.now() - startedAt >= HEALTHY_RUN_MS ? RESTART_DELAY_MS : Math.min(delayMs * 2, RESTART_DELAY_MAX_MS);
        log.error("worker exited; starting it again", { worker: index, pid: child.pid, exitCode: code, signal, restartInMs: next });
        setTimeout(() => {
          if (!stopping) launch(index, next).catch(() => {});
        }, next).unref();
      });
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
    }
  };

  const started = Array.from({ length: count }, (_, i) => launch(i + 1, RESTART_DELAY_MS));
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
  return { stop };
}

/**
 * How to start this program again: a single executable is its own command (process.argv[1] is
 * the executable again); under node, the script follows node's own flags.
 */
function ownCommand(): [string, string[]] {
  const userArgs = process.argv.slice(2);
  if (process.argv[1] === process.execPath) return [process.execPath, userArgs];
  return [process.execPath, [...process.execArgv, process.argv[1] as string, ...userArgs]];
}
