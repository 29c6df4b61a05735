// The servers under load, each started as a fresh process on the server CPUs: the baseline and the
// peer (plain scripts that print their port), and the relay in stdout mode (its stdout a pipe into
// a line counter) or spooled mode (forwarding to a local downstream that counts what it gets).
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { memoryMb } from "./machine.ts";
import { startBenchNats, type BenchNats } from "./nats-stream.ts";
import { firstLine, getText, portLine, sleep, stopProcess } from "./processes.ts";
import { BENCH, PEER_DIR, ROOT, type BenchContext, type RelayProgram } from "./setup.ts";

/** What came out of a relay run: event lines on stdout, or requests at the downstream. */
export interface EventsOut {
  /** Lines / requests received. */
  readonly received: number;
  /** Distinct event ids among them. */
  readonly distinct: number;
  /** Lines that are not a REFER CloudEvent / requests whose ce-id does not match the body. */
  readonly bad: number;
}

/** What a server run ends with. */
export interface Finished {
  readonly events?: EventsOut;
  readonly drainSeconds?: number;
  readonly exitCode: number | null;
  readonly peakRssMb: number;
  readonly anonRssMb: number;
  readonly warnings: number;
  readonly logTail: string;
}

/** A server that is up. */
export interface Running {
  readonly pid: number;
  readonly port: number;
  /** Distinct events already out (spooled: at the downstream), for a mid-run look; undefined if none are written. */
  peekEvents(): Promise<number | undefined>;
  /** After the load: lets queued work finish (spool delivery), then stops everything. */
  finish(): Promise<Finished>;
}

/**
 * Starts the baseline (scripts/bench/baseline.mjs) or the peer (bench/peer/server.mjs).
 *
 * @param bench The context.
 * @param name Which.
 * @param portalKey The public key, as Telnyx's portal shows it.
 * @returns The running server.
 * @example
 * ```ts
 * const server = await startSimple(bench, "baseline", keys.portalKey);
 * ```
 */
export async function startSimple(bench: BenchContext, name: "baseline" | "peer", portalKey: string): Promise<Running> {
  const script = name === "baseline" ? join(BENCH, "baseline.mjs") : join(PEER_DIR, "server.mjs");
  const [command, args] = bench.place.onCpus(bench.place.serverCpus, bench.node, [script]);
  const env = { ...bench.baseEnv, BENCH_PUBLIC_KEY: portalKey, TELNYX_PUBLIC_KEY: portalKey, NODE_ENV: "production" };
  const child = bench.children.track(spawn(command, args, { cwd: name === "peer" ? PEER_DIR : ROOT, env, stdio: ["ignore", "pipe", "pipe"] }));
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const port = await firstLine(child.stdout as Readable, portLine, 15_000, `${name} start-up`);
  const pid = child.pid as number;
  return {
    pid,
    port,
    peekEvents: async () => undefined,
    async finish() {
      const peakRssMb = memoryMb(pid, "VmHWM");
      const anonRssMb = memoryMb(pid, "RssAnon");
      const exitCode = await stopProcess(child, 5_000);
      return { exitCode, peakRssMb, anonRssMb, warnings: 0, logTail: log };
    },
  };
}

/** How to start the relay. */
export interface RelayStart {
  readonly program: RelayProgram;
  readonly spooled: boolean;
  /** Publish to NATS JetStream (synchronous) instead of stdout: a local R1 server or R3 cluster. */
  readonly nats?: 1 | 3 | undefined;
  /** Node flags before the script (source only), e.g. --cpu-prof. */
  readonly nodeFlags: readonly string[];
  /** Its working directory (dead-letter file, spool). */
  readonly runDir: string;
  readonly portalKey: string;
}

/**
 * Starts the relay with the benchmark's arguments and --relay-arg, and what reads its output.
 *
 * @param bench The context.
 * @param start The program, the mode and the directory.
 * @returns The running relay.
 * @example
 * ```ts
 * const relay = await startRelay(bench, { program, spooled: false, nodeFlags: [], runDir, portalKey });
 * ```
 */
export async function startRelay(bench: BenchContext, start: RelayStart): Promise<Running> {
  const { place, baseEnv } = bench;
  const { program, spooled, runDir } = start;
  mkdirSync(runDir, { recursive: true });
  const relayArgs = [...program.args, "--host", "127.0.0.1", "--port", "0", "--public-key", start.portalKey, "--dead-letter-file", join(runDir, "dead-letter.jsonl")];
  let downstream: ChildProcess | undefined;
  let downstreamPort = 0;
  if (spooled) {
    const [dCommand, dArgs] = place.onCpus(place.loadCpus, bench.node, [join(BENCH, "downstream.ts")]);
    downstream = bench.children.track(spawn(dCommand, dArgs, { env: baseEnv, stdio: ["ignore", "pipe", "inherit"] }));
    downstreamPort = await firstLine(downstream.stdout as Readable, portLine, 15_000, "downstream start-up");
    relayArgs.push("--forward-url", `http://127.0.0.1:${downstreamPort}/events`, "--spool-dir", join(runDir, "spool"));
  }
  // NATS mode: events go to the stream; its message count is what came out.
  const nats: BenchNats | undefined = start.nats === undefined ? undefined : await startBenchNats(runDir, start.nats);
  if (nats) relayArgs.push("--nats-url", nats.url);
  relayArgs.push(...bench.options.relayArgs);
  // Stdout mode: the relay's stdout is a pipe into another process that counts the event lines.
  let counter: ChildProcess | undefined;
  let counted: Promise<EventsOut> | undefined;
  if (!spooled && !nats) {
    const [cCommand, cArgs] = place.onCpus(place.loadCpus, bench.node, [join(BENCH, "count-lines.ts")]);
    counter = bench.children.track(spawn(cCommand, cArgs, { env: baseEnv, stdio: ["pipe", "pipe", "inherit"] }));
    counted = firstLine(counter.stdout as Readable, (line) => JSON.parse(line) as { lines: number; distinct: number; bad: number }, 24 * 3600_000, "stdout reader").then(
      (result) => ({ received: result.lines, distinct: result.distinct, bad: result.bad }),
    );
    counted.catch(() => {});
  }
  const [command, args] = place.onCpus(place.serverCpus, program.command, program.kind === "source" ? [...start.nodeFlags, ...relayArgs] : relayArgs);
  const child = bench.children.track(
    spawn(command, args, {
      cwd: runDir,
      env: baseEnv,
      // stdout: straight into the reader process's stdin (a pipe between the two; this script is not in the way).
      stdio: ["ignore", spooled || nats ? "ignore" : (counter?.stdin ?? "ignore"), "pipe"],
    }),
  );
  counter?.stdin?.destroy(); // the relay holds the pipe's write end now: the reader sees EOF when it exits
  const log = watchLog(child);
  const port = await log.listening;
  const pid = child.pid as number;

  const downstreamCount = async (): Promise<{ requests: number; distinct: number; bad: number }> =>
    JSON.parse(await getText(downstreamPort, "/count")) as { requests: number; distinct: number; bad: number };

  return {
    pid,
    port,
    async peekEvents() {
      if (nats) return nats.messages();
      return spooled ? (await downstreamCount()).distinct : undefined;
    },
    async finish() {
      const drainSeconds = spooled ? await spoolDrained(bench, port) : undefined;
      const peakRssMb = memoryMb(pid, "VmHWM");
      const anonRssMb = memoryMb(pid, "RssAnon");
      const exitCode = await stopProcess(child, 20_000);
      let events: EventsOut;
      if (nats) {
        // One message per event id (Nats-Msg-Id): the stream's count is the distinct events.
        const messages = await nats.messages();
        events = { received: messages, distinct: messages, bad: 0 };
        await nats.stop();
      } else if (spooled) {
        const count = await downstreamCount();
        events = { received: count.requests, distinct: count.distinct, bad: count.bad };
        await stopProcess(downstream as ChildProcess, 5_000);
      } else {
        events = await (counted as Promise<EventsOut>);
      }
      return { events, ...(drainSeconds === undefined ? {} : { drainSeconds }), exitCode, peakRssMb, anonRssMb, warnings: log.warnings(), logTail: log.tail() };
    },
  };
}

/** Reads the relay's JSON log lines: its port once listening, warn/error lines, the last 4000 characters. */
function watchLog(child: ChildProcess): { listening: Promise<number>; warnings(): number; tail(): string } {
  let warnings = 0;
  let logTail = "";
  const lines = createInterface({ input: child.stderr as Readable });
  let resolvePort: (port: number) => void = () => {};
  let rejectPort: (error: Error) => void = () => {};
  const listening = new Promise<number>((resolve, reject) => {
    resolvePort = resolve;
    rejectPort = reject;
  });
  lines.on("line", (line) => {
    logTail = `${logTail}${line}\n`.slice(-4000);
    let entry: { level?: string; message?: string; port?: number; reason?: string } = {};
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      // a start-up error: one plain line
    }
    if (entry.message === "listening" && typeof entry.port === "number") resolvePort(entry.port);
    // The tampered sanity request is refused with a warn line: expected, not counted.
    if ((entry.level === "warn" || entry.level === "error") && entry.reason !== "bad_signature") warnings++;
  });
  child.once("exit", (code) => rejectPort(new Error(`the relay exited with status ${code} before listening:\n${logTail}`)));
  const timer = setTimeout(() => rejectPort(new Error(`the relay did not listen within 15 s:\n${logTail}`)), 15_000);
  return { listening: listening.finally(() => clearTimeout(timer)), warnings: () => warnings, tail: () => logTail };
}

/** Delivery continues after the load: waits until the spool is empty (the relay's own gauge), at most 120 s. */
async function spoolDrained(bench: BenchContext, port: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const depth = /^telnyx_relay_spool_depth (\d+)/m.exec(await getText(port, "/metrics").catch(() => ""));
    if (depth && depth[1] === "0") break;
    if (performance.now() - started > 120_000) {
      bench.say("the spool did not empty within 120 s of the load's end");
      break;
    }
    await sleep(50);
  }
  return (performance.now() - started) / 1000;
}
