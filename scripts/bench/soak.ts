// The soak: the relay in stdout mode under load for minutes, its RSS sampled; is it flat?
import { join } from "node:path";
import process from "node:process";
import { busyPercent, cpuBusyJiffies, cpuSeconds, memoryMb } from "./machine.ts";
import { POOL_MARGIN, type Setup } from "./modes.ts";
import { makePool, removePool } from "./pool.ts";
import { f0, f1, f2, header, median } from "./report.ts";
import { startRelay, type EventsOut } from "./servers.ts";
import type { BenchContext } from "./setup.ts";
import { runWrk } from "./wrk.ts";

/** Load totals over the soak's segments. */
interface Totals {
  answered: number;
  sent: number;
  non200: number;
  socketErrors: number;
  repeated: number;
  duplicates: number;
}

/**
 * The relay (stdout mode) under load for --soak-duration, RSS sampled every --sample-interval.
 *
 * Fresh timestamps are needed every few minutes and wrk's Lua cannot sign: the load comes in
 * segments of up to 30 s, each with its own pool signed just before it (a pause of a few seconds
 * between segments, in which the relay idles). Pools after the first are sized from the rate seen.
 *
 * @param bench The context.
 * @param setup From `prepare`.
 * @returns True if nothing was lost or refused (flat or not is reported, not asserted).
 * @example
 * ```ts
 * const ok = await soakMode(bench, setup);
 * ```
 */
export async function soakMode(bench: BenchContext, setup: Setup): Promise<boolean> {
  const { soakDuration, sampleInterval, connections } = bench.options;
  const segmentS = Math.min(30, soakDuration);
  const running = await startRelay(bench, { program: setup.program, spooled: false, nodeFlags: [], runDir: join(bench.work, "soak"), portalKey: setup.keys.portalKey });
  const samples: Array<{ seconds: number; rssMb: number; hwmMb: number }> = [];
  const started = performance.now();
  const sample = (): void => {
    samples.push({ seconds: Math.round((performance.now() - started) / 100) / 10, rssMb: memoryMb(running.pid, "VmRSS"), hwmMb: memoryMb(running.pid, "VmHWM") });
  };
  sample();
  const sampler = setInterval(sample, sampleInterval * 1000);
  let rate = setup.ceilingPerSec / POOL_MARGIN;
  let loadS = 0;
  const totals: Totals = { answered: 0, sent: 0, non200: 0, socketErrors: 0, repeated: 0, duplicates: 0 };
  const segmentRates: number[] = [];
  const segmentCpu: Array<[number, number]> = [];
  bench.say(`soak: relay-stdout for ${soakDuration} s of load in ${segmentS} s segments, RSS every ${sampleInterval} s`);
  while (loadS < soakDuration) {
    // The first segment is short: its pool is sized from the verify rate (an upper bound), later ones from the rate seen.
    const segment = Math.min(loadS === 0 ? 10 : segmentS, soakDuration - loadS);
    const pool = await makePool(bench, setup.keys, Math.ceil(rate * 1.5 * segment) + 2 * connections + 1000, 0);
    const serverBefore = cpuSeconds(running.pid);
    const loadBefore = cpuBusyJiffies(bench.place.loadCpuIndices);
    const result = await runWrk(bench, running.port, pool, 0, segment);
    const serverCpu = (100 * (cpuSeconds(running.pid) - serverBefore)) / (result.durationUs / 1e6);
    const loadCpu = busyPercent(loadBefore, cpuBusyJiffies(bench.place.loadCpuIndices));
    removePool(pool);
    loadS += segment;
    totals.answered += result.requests - result.non200;
    totals.sent += result.sent;
    totals.non200 += result.non200;
    totals.socketErrors += result.errors.connect + result.errors.read + result.errors.write + result.errors.timeout;
    totals.repeated += result.wraps;
    totals.duplicates += result.duplicates;
    rate = Math.max(rate * 0.5, (result.requests / result.durationUs) * 1e6);
    segmentRates.push((result.requests / result.durationUs) * 1e6);
    segmentCpu.push([serverCpu, loadCpu]);
    bench.say(`soak: ${loadS}/${soakDuration} s, ${f0((result.requests / result.durationUs) * 1e6)} req/s, RSS ${f1(memoryMb(running.pid, "VmRSS"))} MB, server CPU ${f0(serverCpu)}%, load CPU ${f0(loadCpu)}%`);
  }
  clearInterval(sampler);
  sample();
  const elapsedS = (performance.now() - started) / 1000;
  const done = await running.finish();
  const events = done.events as EventsOut;
  const failures: string[] = [];
  if (totals.non200 > 0) failures.push(`${totals.non200} answers were not 200`);
  if (totals.socketErrors > 0) failures.push(`${totals.socketErrors} socket errors or timeouts`);
  if (events.distinct < totals.answered - totals.duplicates) failures.push(`LOST: ${totals.answered - totals.duplicates} new events answered 200 but ${events.distinct} came out`);
  if (events.bad > 0) failures.push(`${events.bad} stdout lines are not REFER CloudEvents`);
  if (done.exitCode !== 0) failures.push(`the relay exited with status ${done.exitCode} after SIGTERM`);

  return soakReport(bench, setup, { samples, elapsedS, loadS, totals, segmentRates, segmentCpu, events, failures });
}

/** What the soak saw, for {@link soakReport}. */
interface SoakSeen {
  readonly samples: ReadonlyArray<{ seconds: number; rssMb: number; hwmMb: number }>;
  readonly elapsedS: number;
  readonly loadS: number;
  readonly totals: Totals;
  readonly segmentRates: readonly number[];
  readonly segmentCpu: ReadonlyArray<readonly [number, number]>;
  readonly events: EventsOut;
  readonly failures: readonly string[];
}

/** Whether RSS stayed flat, written out (and as JSON with --json); true if no check failed. */
function soakReport(bench: BenchContext, setup: Setup, seen: SoakSeen): boolean {
  const { soakDuration, sampleInterval, connections } = bench.options;
  const { samples, elapsedS, loadS, totals, segmentRates, segmentCpu, events, failures } = seen;
  // Flat: once settled (30 s in, or 10% of the run: start-up, JIT and heap sizing done), the median
  // RSS of the last 20% of the run is within max(10 MB, 10%) of the median of the 20% after settling
  // (medians, because V8's heap breathes in steps of ~10-20 MB either way). The highest value and the
  // slope over the second half say how far and how fast it grows.
  const settleAt = Math.max(30, elapsedS / 10);
  const after = samples.filter((s) => s.seconds >= settleAt);
  const settled = median(after.filter((s) => s.seconds < settleAt + elapsedS / 5).map((s) => s.rssMb));
  const end = median(samples.filter((s) => s.seconds >= elapsedS * 0.8).map((s) => s.rssMb));
  const highest = Math.max(...after.map((s) => s.rssMb));
  const growth = end - settled;
  const flat = growth <= Math.max(10, settled * 0.1);
  const slope = slopePerMinute(samples.filter((s) => s.seconds >= elapsedS / 2).map((s) => [s.seconds, s.rssMb] as const));
  const peak = Math.max(...samples.map((s) => s.hwmMb));
  const ok = failures.length === 0;
  bench.out(
    `\nSoak: telnyx-relay, stdout → pipe (${setup.program.label}), ${soakDuration} s of load (${elapsedS.toFixed(0)} s with signing pauses), ` +
      `${connections} connections, ${f0((totals.answered / loadS) | 0)} req/s on average\n${header(bench, setup.program, setup.verifyPerSec)}\n\n` +
      `RSS MB every ${sampleInterval} s: ${samples.map((s) => f0(s.rssMb)).join(" ")}\n` +
      `req/s per segment: ${segmentRates.map(f0).join(" ")}\n` +
      `server CPU % per segment: ${segmentCpu.map(([server]) => f0(server)).join(" ")}; load CPU %: ${segmentCpu.map(([, load]) => f0(load)).join(" ")}\n` +
      `RSS once settled (median, ${f0(settleAt)}–${f0(settleAt + elapsedS / 5)} s) ${f1(settled)} MB, over the last 20% ${f1(end)} MB (${growth >= 0 ? "+" : ""}${f1(growth)} MB), ` +
      `highest ${f1(highest)} MB; slope over the second half ${f2(slope)} MB/min; peak (VmHWM) ${f1(peak)} MB\n` +
      `RSS ${flat ? "stays FLAT" : "GROWS"} (flat: the last 20% within max(10 MB, 10%) of the settled median)\n` +
      `correctness: ${totals.answered.toLocaleString("en")} answered 200, ${events.distinct.toLocaleString("en")} distinct events out, ${totals.non200 + totals.socketErrors} not 200 or no answer` +
      (totals.repeated > 0 ? `; ${totals.repeated} requests repeated an event (pool ran out; ${totals.duplicates} answered "duplicate")` : "") +
      `\n${ok ? "all checks passed" : `CHECKS FAILED: ${failures.join("; ")}`}\n`,
  );
  if (bench.options.json) {
    const rss = { settledMb: settled, settledAtSeconds: settleAt, highestMb: highest, endMb: end, growthMb: growth, slopeMbPerMin: slope, peakMb: peak };
    const settings = { soakSeconds: soakDuration, sampleIntervalSeconds: sampleInterval, connections };
    const report = { mode: "soak", settings, relay: setup.program, samples, rss, segmentReqPerSec: segmentRates, flat, answered200: totals.answered, sent: totals.sent, events, failures, ok };
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
  return ok;
}

/**
 * Least-squares slope of (seconds, MB) points, in MB per minute.
 *
 * @param points The samples.
 * @returns MB/min; NaN for fewer than two points.
 * @example
 * ```ts
 * slopePerMinute([[0, 100], [60, 101]]); // 1
 * ```
 */
export function slopePerMinute(points: ReadonlyArray<readonly [number, number]>): number {
  if (points.length < 2) return Number.NaN;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : (sxy / sxx) * 60;
}
