// The benchmark's modes but the soak: the table (bench and smoke: every server in turn, rounds
// alternating the order) and the CPU profile of one relay row; and what both need first.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { cpus as osCpus, tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { formatProfileSummary, summarizeProfile } from "./profile-summary.ts";
import { LABELS, redeliverPercent, type ServerName } from "./options.ts";
import { natsAvailable } from "./nats-stream.ts";
import { makeKeys, makePool, measureVerifyRate, removePool, type Keys, type Pool } from "./pool.ts";
import { f0, f1, f2, header, ratios, summarize, table } from "./report.ts";
import { runOnce, type RunResult } from "./run.ts";
import { ensurePeer, ensureWrk, relayProgram, ROOT, type BenchContext, type RelayProgram } from "./setup.ts";

const TOLERANCE_S = 300;
/** A pool is not used for a run that would end later than this after it was signed. */
export const POOL_MAX_AGE_S = TOLERANCE_S - 30;
/** The most a server could answer per second per CPU is its Ed25519 verify rate; pools get this margin. */
export const POOL_MARGIN = 1.3;

/** What every mode needs before its first run. */
export interface Setup {
  readonly keys: Keys;
  readonly program: RelayProgram;
  readonly verifyPerSec: number;
  /** The most requests per second the servers could answer: pools are sized from it. */
  readonly ceilingPerSec: number;
}

/**
 * Checks the tools (wrk, the peer's packages, the relay), makes the key and measures the verify rate.
 *
 * @param bench The context.
 * @returns The setup, or undefined when a tool is missing (said on stderr).
 * @example
 * ```ts
 * const setup = prepare(bench);
 * ```
 */
export function prepare(bench: BenchContext): Setup | undefined {
  const { servers } = bench.options;
  if (!ensureWrk(bench.say)) return undefined;
  if (servers.includes("peer") && !ensurePeer(bench.say)) return undefined;
  if (servers.some((s) => s.startsWith("relay-nats-")) && !natsAvailable()) {
    bench.say("nats-server is not installed (Debian: apt-get install nats-server): install it, or leave the relay-nats rows out with --only");
    return undefined;
  }
  const program = relayProgram(bench);
  if (servers.some((s) => s.startsWith("relay-"))) {
    const version = spawnSync(program.command, [...program.args, "--version"], { encoding: "utf8", env: bench.baseEnv });
    if (version.status !== 0) {
      bench.say(`the relay does not run: ${program.command} ${program.args.join(" ")} --version: ${version.stderr || version.error?.message}`);
      return undefined;
    }
    bench.say(`relay: ${program.label} → ${version.stdout.trim()}`);
  }
  const keys = makeKeys(bench.work);
  const verifyPerSec = measureVerifyRate(keys);
  return { keys, program, verifyPerSec, ceilingPerSec: verifyPerSec * bench.place.serverCpuCount * POOL_MARGIN };
}

/**
 * The table: `rounds` rounds, each running every server once (round r starts with server r), each
 * run a fresh process with the same warm-up, duration and connections; then medians, ratios, checks.
 *
 * @param bench The context.
 * @param setup From {@link prepare}.
 * @returns True if every check of every run held.
 * @example
 * ```ts
 * const ok = await benchMode(bench, setup);
 * ```
 */
export async function benchMode(bench: BenchContext, setup: Setup): Promise<boolean> {
  const { options, place } = bench;
  const { servers, rounds, warmup, duration, connections, mode } = options;
  const results: RunResult[] = [];
  const poolSize = Math.ceil(setup.ceilingPerSec * (warmup + duration)) + 2 * connections + 1000;
  // One pool per kind of load (distinct events, 50%, 100% redeliveries), shared by the servers.
  const pools = new Map<string, Pool>();
  const started = performance.now();
  bench.say(`${mode}: ${rounds} round(s) × ${servers.length} servers × (${warmup} s warm-up + ${duration} s measured), ${connections} connections`);
  for (let round = 1; round <= rounds; round++) {
    for (let i = 0; i < servers.length; i++) {
      const server = servers[(i + round - 1) % servers.length] as ServerName;
      const percent = redeliverPercent(server);
      const mixed = server === "relay-stdout-mixed";
      const kind = `${percent}${mixed ? "-mixed" : ""}`;
      // Fresh signatures when the pool would be older than the tolerance allows by the run's end.
      const runEnds = Date.now() / 1000 + warmup + duration + 15;
      let pool = pools.get(kind);
      if (pool === undefined || runEnds - pool.signedAt > POOL_MAX_AGE_S) {
        if (pool) removePool(pool);
        pool = await makePool(bench, setup.keys, poolSize, percent, mixed);
        pools.set(kind, pool);
      }
      const result = await runOnce(bench, setup.keys, server, round, pool, setup.program);
      results.push(result);
      bench.say(
        `round ${round}/${rounds} ${server}: ${f0(result.reqPerSec)} req/s, p50 ${f2(result.p50Ms)} ms, p99 ${f2(result.p99Ms)} ms, ` +
          `peak RSS ${f1(result.peakRssMb)} MB (anon ${f1(result.anonRssMb)} MB), ${f0(result.cpuUsPerReq)} CPU µs/req, server CPU ${f0(result.serverCpuPercent)}%, load CPU ${f0(result.loadCpuPercent)}%` +
          (result.events ? `, ${result.events.distinct.toLocaleString("en")} events out for ${result.answered200.toLocaleString("en")} 200s` : "") +
          (result.redelivered > 0 ? ` (${result.duplicates.toLocaleString("en")} "duplicate" for ${result.redelivered.toLocaleString("en")} redeliveries)` : "") +
          (result.failures.length ? `\n  FAILED: ${result.failures.join("\n  FAILED: ")}` : ""),
      );
    }
  }
  for (const pool of pools.values()) removePool(pool);
  const elapsed = (performance.now() - started) / 1000;
  const summaries = summarize(servers, results);
  const ratioValues = ratios(summaries);
  const ok = results.every((r) => r.failures.length === 0);
  const title =
    mode === "smoke"
      ? `Smoke run (${duration} s per server, 1 round): correctness only, the figures mean nothing`
      : `Medians of ${rounds} rounds, ${duration} s each (after ${warmup} s warm-up), ${connections} keep-alive connections`;
  bench.out(
    `\n${title}\n${header(bench, setup.program, setup.verifyPerSec)}\n\n${table(summaries, results, place.serverCpuCount)}\n` +
      `ratios (req/s medians): ${Object.entries(ratioValues).map(([name, value]) => `${name} ${f2(value)}`).join(", ")}\n` +
      `${ok ? "all checks passed" : "CHECKS FAILED (see above)"}; ${elapsed.toFixed(0)} s in all\n`,
  );
  if (options.json) {
    const settings = { durationSeconds: duration, warmupSeconds: warmup, rounds, connections, serverCpus: place.pinned ? place.serverCpus : null, loadCpus: place.pinned ? place.loadCpus : null, relayArgs: options.relayArgs };
    const machine = { cpus: place.cpuCount, model: osCpus()[0]?.model ?? null, node: bench.nodeVersion, verifyPerSecPerCpu: Math.round(setup.verifyPerSec), stealPercent: Math.round(bench.steal() * 10) / 10 };
    const relay = { kind: setup.program.kind, label: setup.program.label };
    const report = { mode, date: new Date().toISOString(), settings, machine, relay, servers: summaries, ratios: ratioValues, runs: results, ok, elapsedSeconds: Math.round(elapsed) };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
  return ok;
}

/**
 * One relay row from source under `node --cpu-prof`, then a summary of the profile.
 *
 * @param bench The context.
 * @param setup From {@link prepare}.
 * @returns True if the run's checks held.
 * @example
 * ```ts
 * const ok = await profileMode(bench, setup);
 * ```
 */
export async function profileMode(bench: BenchContext, setup: Setup): Promise<boolean> {
  const { options } = bench;
  const server = options.servers[0] as ServerName;
  const dir = options.profileDir ?? mkdtempSync(join(tmpdir(), "telnyx-relay-profile-"));
  mkdirSync(dir, { recursive: true });
  const name = `${server}-${Date.now()}.cpuprofile`;
  const pool = await makePool(bench, setup.keys, Math.ceil(setup.ceilingPerSec * (options.warmup + options.duration)) + 2 * options.connections + 1000, redeliverPercent(server), server === "relay-stdout-mixed");
  bench.say(`profile: ${server} from source under node --cpu-prof, ${options.warmup} s warm-up + ${options.duration} s of load`);
  const result = await runOnce(bench, setup.keys, server, 1, pool, setup.program, ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-name", name]);
  removePool(pool);
  const file = join(dir, name);
  if (!existsSync(file)) throw new Error(`no profile was written to ${file} (found: ${readdirSync(dir).join(", ")})`);
  const summary = summarizeProfile(JSON.parse(readFileSync(file, "utf8")) as Parameters<typeof summarizeProfile>[0], ROOT);
  bench.out(
    `\nCPU profile of ${LABELS[server]} (${setup.program.label}) under load: ${f0(result.reqPerSec)} req/s while profiled, ` +
      `${f0(result.cpuUsPerReq)} CPU µs/req; ${result.failures.length ? `CHECKS FAILED: ${result.failures.join("; ")}` : "all checks passed"}\n` +
      `profile: ${file} (open it in Chrome DevTools → Performance, or https://www.speedscope.app)\n` +
      `(includes start-up, the sanity requests and the warm-up)\n\n${formatProfileSummary(summary, 20, result.answered200)}`,
  );
  if (options.json) process.stdout.write(`${JSON.stringify({ mode: options.mode, file, run: result, profile: { ...summary, functions: summary.functions.slice(0, 100) } }, null, 2)}\n`);
  return result.failures.length === 0;
}
