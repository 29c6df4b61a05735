// One run: one server as a fresh process, the sanity requests, for the redelivery rows the events
// to redeliver, the warm-up, the measured load, and the correctness checks on what came out.
import { Agent } from "node:http";
import { join } from "node:path";
import { signDelivery } from "../../src/crypto/sign.ts";
import { busyPercent, cpuBusyJiffies, cpuSeconds } from "./machine.ts";
import { distinctBody } from "./make-pool.ts";
import type { ServerName } from "./options.ts";
import { primeEntries, type Keys, type Pool } from "./pool.ts";
import { post } from "./processes.ts";
import { startRelay, startSimple, type EventsOut } from "./servers.ts";
import type { BenchContext, RelayProgram } from "./setup.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

/** One server's run, measured and checked. */
export interface RunResult {
  readonly server: ServerName;
  readonly round: number;
  readonly reqPerSec: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly peakRssMb: number;
  /** RssAnon at the end of the run: the peak RSS less the executable's pages. */
  readonly anonRssMb: number;
  readonly cpuUsPerReq: number;
  /** The server process's CPU time / the window (100 = one CPU saturated). */
  readonly serverCpuPercent: number;
  /** How busy the load CPUs were (wrk, stdout reader, downstream, anything else), in % of their time. */
  readonly loadCpuPercent: number;
  /** 200s counted over the whole run (sanity request, prime events, warm-up, measured window). */
  readonly answered200: number;
  readonly sent: number;
  /** Redeliveries among the requests sent (the redelivery rows). */
  readonly redelivered: number;
  /** 200 answers that said "duplicate". */
  readonly duplicates: number;
  readonly non200: number;
  readonly socketErrors: number;
  readonly events?: EventsOut;
  /** Spooled: events at the downstream when the load stopped / 200s by then. */
  readonly deliveredDuringLoad?: number;
  readonly drainSeconds?: number;
  readonly relayWarnings: number;
  readonly failures: readonly string[];
}

/**
 * Runs one server: start, sanity requests, prime events (redelivery pools), warm-up, measured load,
 * stop; then checks the counts.
 *
 * @param bench The context.
 * @param keys The signing key.
 * @param server Which server.
 * @param round The round (names its directory and sanity events).
 * @param pool The signed requests (a redelivery pool for the redelivery rows).
 * @param program How to start the relay.
 * @param nodeFlags Node flags for the relay from source (--cpu-prof).
 * @returns The result; its failures list what did not hold.
 * @example
 * ```ts
 * const result = await runOnce(bench, keys, "relay-stdout", 1, pool, program);
 * ```
 */
export async function runOnce(bench: BenchContext, keys: Keys, server: ServerName, round: number, pool: Pool, program: RelayProgram, nodeFlags: readonly string[] = []): Promise<RunResult> {
  const { warmup, duration } = bench.options;
  const runDir = join(bench.work, `${server}-r${round}`);
  const running =
    server === "baseline" || server === "peer"
      ? await startSimple(bench, server, keys.portalKey)
      : await startRelay(bench, {
          program,
          spooled: server === "relay-spooled",
          nats: server === "relay-nats-r1" ? 1 : server === "relay-nats-r3" ? 3 : undefined,
          nodeFlags,
          runDir,
          portalKey: keys.portalKey,
        });
  const failures: string[] = [];
  try {
    // Sanity: a good request is answered 200, a tampered one is refused (the server really verifies).
    const timestamp = Math.floor(Date.now() / 1000);
    const goodBody = distinctBody(`sanity${round}${server}`);
    const good = (await post(running.port, { ...signDelivery(keys.privateKey, goodBody, timestamp) }, goodBody)).status;
    const tamperedBody = distinctBody(`tampered${round}${server}`);
    const tampered = (await post(running.port, { ...signDelivery(keys.privateKey, goodBody, timestamp) }, tamperedBody)).status;
    if (good !== 200) failures.push(`a correctly signed request was answered ${good}, not 200`);
    if (tampered === 200 || tampered === 0) failures.push(`a request whose body does not match its signature was answered ${tampered}`);
    const primed = await prime(running.port, pool);
    if (primed.accepted !== pool.prime) failures.push(`${pool.prime - primed.accepted} of the ${pool.prime} events sent before the load were not answered 200 "accepted" (${primed.other})`);

    const warm = warmup > 0 ? await runWrk(bench, running.port, pool, pool.prime, warmup) : undefined;
    const cpuBefore = cpuSeconds(running.pid);
    const loadBefore = cpuBusyJiffies(bench.place.loadCpuIndices);
    const measured = await runWrk(bench, running.port, pool, warm?.next ?? pool.prime, duration);
    const cpuAfter = cpuSeconds(running.pid);
    const loadAfter = cpuBusyJiffies(bench.place.loadCpuIndices);
    const deliveredDuringLoad = await running.peekEvents();
    const done = await running.finish();

    const runs = warm ? [warm, measured] : [measured];
    const sum = (pick: (r: WrkResult) => number): number => runs.reduce((total, r) => total + pick(r), 0);
    const counts = {
      non200: sum((r) => r.non200),
      socketErrors: sum((r) => r.errors.connect + r.errors.read + r.errors.write + r.errors.timeout),
      answered200: (good === 200 ? 1 : 0) + primed.accepted + sum((r) => r.requests - r.non200),
      sent: 1 + pool.prime + sum((r) => r.sent),
      redelivered: sum((r) => r.redelivered),
      duplicates: sum((r) => r.duplicates),
    };
    failures.push(...check(counts, runs, pool, server, done.events));
    if (done.exitCode !== 0) failures.push(`the server exited with status ${done.exitCode} after SIGTERM`);
    if (failures.length > 0 && done.logTail) failures.push(`server log (tail):\n${done.logTail.slice(done.logTail.indexOf("\n") + 1).trimEnd()}`);

    const windowS = measured.durationUs / 1e6;
    return {
      server,
      round,
      reqPerSec: (measured.requests - measured.non200) / windowS,
      p50Ms: measured.latencyUs.p50 / 1000,
      p90Ms: measured.latencyUs.p90 / 1000,
      p99Ms: measured.latencyUs.p99 / 1000,
      maxMs: measured.latencyUs.max / 1000,
      peakRssMb: done.peakRssMb,
      anonRssMb: done.anonRssMb,
      cpuUsPerReq: measured.requests > 0 ? ((cpuAfter - cpuBefore) * 1e6) / measured.requests : Number.NaN,
      serverCpuPercent: (100 * (cpuAfter - cpuBefore)) / windowS,
      loadCpuPercent: busyPercent(loadBefore, loadAfter),
      ...counts,
      ...(done.events ? { events: done.events } : {}),
      ...(deliveredDuringLoad === undefined ? {} : { deliveredDuringLoad }),
      ...(done.drainSeconds === undefined ? {} : { drainSeconds: done.drainSeconds }),
      relayWarnings: done.warnings,
      failures,
    };
  } catch (error) {
    bench.children.killAll();
    throw error;
  }
}

/** Sends the pool's prime entries (new events, before the load) over a few keep-alive connections. */
async function prime(port: number, pool: Pool): Promise<{ accepted: number; other: string }> {
  const entries = primeEntries(pool);
  const agent = new Agent({ keepAlive: true, maxSockets: 8 });
  let accepted = 0;
  const other = new Map<string, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < entries.length) {
      const { headers, body } = entries[next++] as (typeof entries)[number];
      const answer = await post(port, headers, body, agent);
      if (answer.status === 200 && answer.body.includes('"accepted"')) accepted++;
      else other.set(`${answer.status} ${answer.body.trim().slice(0, 60)}`, (other.get(`${answer.status} ${answer.body.trim().slice(0, 60)}`) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  agent.destroy();
  return { accepted, other: [...other].map(([what, n]) => `${n}× ${what}`).join(", ") };
}

/** The counts a run's checks look at. */
interface Counts {
  readonly non200: number;
  readonly socketErrors: number;
  readonly answered200: number;
  readonly sent: number;
  readonly redelivered: number;
  readonly duplicates: number;
}

/**
 * What did not hold: every answer 200 without socket errors, the pool not exhausted, "duplicate"
 * answered for the redeliveries (and nothing else), and (relay) every new event answered 200 came
 * out once, nothing else did.
 */
function check(counts: Counts, runs: readonly WrkResult[], pool: Pool, server: ServerName, events: EventsOut | undefined): string[] {
  const failures: string[] = [];
  const sum = (pick: (r: WrkResult) => number): number => runs.reduce((total, r) => total + pick(r), 0);
  if (counts.non200 > 0) failures.push(`${counts.non200} answers were not 200 (${statusSummary(runs.map((r) => r.statuses).join(""))})`);
  if (counts.socketErrors > 0) {
    const e = (key: keyof WrkResult["errors"]) => sum((r) => r.errors[key]);
    failures.push(`socket errors: connect ${e("connect")}, read ${e("read")}, write ${e("write")}, timeout ${e("timeout")}`);
  }
  const wraps = sum((r) => r.wraps);
  if (wraps > 0) failures.push(`the pool of ${pool.size} signed requests ran out: ${wraps} requests repeated an entry (a bigger pool is needed)`);
  // wrk stops with requests in flight: sent, never answered. So the redeliveries answered are
  // between those sent less the unanswered, and those sent; each must have been "duplicate".
  const unanswered = sum((r) => r.sent - r.requests);
  if (counts.redelivered === 0 && counts.duplicates > 0) failures.push(`${counts.duplicates} requests were answered "duplicate": the relay saw an event twice`);
  else if (counts.duplicates > counts.redelivered || counts.duplicates < counts.redelivered - unanswered) {
    failures.push(`${counts.duplicates} requests were answered "duplicate" for ${counts.redelivered} redeliveries sent (${unanswered} requests unanswered when wrk stopped)`);
  }
  if (pool.percent === 100 && counts.duplicates !== sum((r) => r.requests)) failures.push(`${sum((r) => r.requests) - counts.duplicates} of the answers to redeliveries did not say "duplicate"`);
  if (events) {
    const { received, distinct, bad } = events;
    const fresh = counts.answered200 - counts.duplicates;
    if (distinct < fresh) failures.push(`LOST: ${fresh} new events were answered 200 but only ${distinct} distinct events came out`);
    if (distinct > counts.sent - counts.redelivered) failures.push(`${distinct} distinct events came out of ${counts.sent - counts.redelivered} distinct events sent`);
    if (bad > 0) failures.push(`${bad} of what came out is not a REFER (or, mixed row, JSON call.*) CloudEvent (or its id does not match)`);
    if (server !== "relay-spooled" && received !== distinct) failures.push(`${received - distinct} event lines on stdout repeat an id`);
  }
  return failures;
}

function statusSummary(statuses: string): string {
  const counts = new Map<string, number>();
  for (const match of statuses.matchAll(/\[(\d+)\](\d+);/g)) counts.set(match[1] as string, (counts.get(match[1] as string) ?? 0) + Number(match[2]));
  return [...counts].map(([status, n]) => `${n}× ${status}`).join(", ");
}
