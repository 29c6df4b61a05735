// The benchmark's figures: medians over rounds, ratios between servers, the Markdown table with its
// correctness lines, and the header that says where it ran.
import { cpus as osCpus } from "node:os";
import { LABELS, type ServerName } from "./options.ts";
import type { RunResult } from "./run.ts";
import type { BenchContext, RelayProgram } from "./setup.ts";

/** Whole number with thousands separators ("–" for NaN). */
export const f0 = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString("en") : "–");
/** One decimal ("–" for NaN). */
export const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : "–");
/** Two decimals ("–" for NaN). */
export const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : "–");

/**
 * The median, NaNs left out.
 *
 * @param values Numbers.
 * @returns Their median; NaN if none.
 * @example
 * ```ts
 * median([3, 1, 2]); // 2
 * ```
 */
export function median(values: readonly number[]): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** One server's figures over its rounds. */
export interface ServerSummary {
  readonly server: ServerName;
  readonly label: string;
  readonly reqPerSec: number;
  readonly reqPerSecMin: number;
  readonly reqPerSecMax: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly peakRssMb: number;
  /** RssAnon at the end of the run: the peak RSS less the executable's pages. */
  readonly anonRssMb: number;
  readonly cpuUsPerReq: number;
  readonly serverCpuPercent: number;
  readonly loadCpuPercent: number;
  readonly ratioToBaseline?: number;
}

/**
 * Medians over rounds (max for memory), and each server's ratio to the baseline when it ran.
 *
 * @param servers The servers, in report order.
 * @param results Every run.
 * @returns One summary per server.
 * @example
 * ```ts
 * const summaries = summarize(["baseline", "relay-stdout"], results);
 * ```
 */
export function summarize(servers: readonly ServerName[], results: readonly RunResult[]): ServerSummary[] {
  const summaries = servers.map((server) => {
    const runs = results.filter((r) => r.server === server);
    const rates = runs.map((r) => r.reqPerSec);
    return {
      server,
      label: LABELS[server],
      reqPerSec: median(rates),
      reqPerSecMin: Math.min(...rates),
      reqPerSecMax: Math.max(...rates),
      p50Ms: median(runs.map((r) => r.p50Ms)),
      p99Ms: median(runs.map((r) => r.p99Ms)),
      peakRssMb: Math.max(...runs.map((r) => r.peakRssMb)),
      anonRssMb: Math.max(...runs.map((r) => r.anonRssMb)),
      cpuUsPerReq: median(runs.map((r) => r.cpuUsPerReq)),
      serverCpuPercent: median(runs.map((r) => r.serverCpuPercent)),
      loadCpuPercent: median(runs.map((r) => r.loadCpuPercent)),
    };
  });
  const baseline = summaries.find((s) => s.server === "baseline");
  return summaries.map((s) => (baseline ? { ...s, ratioToBaseline: s.reqPerSec / baseline.reqPerSec } : s));
}

const RATIO_PAIRS: ReadonlyArray<readonly [ServerName, ServerName]> = [
  ["relay-stdout", "baseline"],
  ["relay-spooled", "baseline"],
  ["relay-stdout", "peer"],
  ["relay-spooled", "peer"],
  ["peer", "baseline"],
  // A redelivery should cost no more than a new event: these stay ≥ 1 within noise.
  ["relay-stdout-redeliver50", "relay-stdout"],
  ["relay-stdout-redeliver100", "relay-stdout"],
  // Half JSON webhooks (parse + validate on top of the same verify): close to 1 within noise.
  ["relay-stdout-mixed", "relay-stdout"],
  // What publishing into JetStream (synchronous: 200 after the PubAck) costs against stdout.
  ["relay-nats-r1", "relay-stdout"],
  ["relay-nats-r3", "relay-stdout"],
];

/**
 * The req/s ratios between the servers that ran, e.g. "relay-stdout/baseline".
 *
 * @param summaries From {@link summarize}.
 * @returns Ratio by "a/b" name.
 * @example
 * ```ts
 * ratios(summaries)["relay-stdout/baseline"]; // 0.98
 * ```
 */
export function ratios(summaries: readonly ServerSummary[]): Record<string, number> {
  const rate = (name: ServerName) => summaries.find((s) => s.server === name)?.reqPerSec;
  const result: Record<string, number> = {};
  for (const [a, b] of RATIO_PAIRS) {
    const x = rate(a);
    const y = rate(b);
    if (x !== undefined && y !== undefined) result[`${a}/${b}`] = x / y;
  }
  return result;
}

/**
 * The Markdown table, a note on rows the load side may have limited, and one correctness line per
 * server over all its rounds.
 *
 * @param summaries From {@link summarize}.
 * @param results Every run.
 * @param serverCpuCount CPUs the servers ran on (a server under 90% of them may not be the limit).
 * @returns Lines of text, ending with a newline.
 * @example
 * ```ts
 * bench.out(table(summaries, results, bench.place.serverCpuCount));
 * ```
 */
export function table(summaries: readonly ServerSummary[], results: readonly RunResult[], serverCpuCount: number): string {
  const lines = [
    "| server | req/s (median) | min–max req/s | p50 ms | p99 ms | peak RSS MB | anon RSS MB | CPU µs/req | server CPU % | load CPU % | × baseline |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...summaries.map(
      (s) =>
        `| ${s.label} | ${f0(s.reqPerSec)} | ${f0(s.reqPerSecMin)}–${f0(s.reqPerSecMax)} | ${f2(s.p50Ms)} | ${f2(s.p99Ms)} | ${f1(s.peakRssMb)} | ${f1(s.anonRssMb)} | ${f0(s.cpuUsPerReq)} | ${f0(s.serverCpuPercent)} | ${f0(s.loadCpuPercent)} | ${s.ratioToBaseline === undefined ? "–" : f2(s.ratioToBaseline)} |`,
    ),
  ];
  const loadBound = summaries.filter((s) => s.loadCpuPercent >= 90 || s.serverCpuPercent < 90 * serverCpuCount);
  if (loadBound.length > 0) {
    lines.push(
      "",
      `note: ${loadBound.map((s) => s.server).join(", ")}: the server CPU was under 90% busy or the load CPU over 90%: ` +
        "the load side (or the downstream/stdout reader on it) may be the limit, not the server",
    );
  }
  const checks = summaries.map(({ server }) => correctnessLine(server, results.filter((r) => r.server === server)));
  return `${lines.join("\n")}\n\ncorrectness (all rounds):\n${checks.join("\n")}\n`;
}

function correctnessLine(server: ServerName, runs: readonly RunResult[]): string {
  const total = (pick: (r: RunResult) => number): number => runs.reduce((n, r) => n + pick(r), 0);
  const events = runs.every((r) => r.events) ? total((r) => (r.events as NonNullable<RunResult["events"]>).distinct) : undefined;
  const drain = runs.map((r) => r.drainSeconds).filter((d): d is number => d !== undefined);
  const during = runs.filter((r) => r.deliveredDuringLoad !== undefined);
  const redelivered = total((r) => r.redelivered);
  return (
    `  ${runs.some((r) => r.failures.length > 0) ? "FAIL" : "ok  "} ${server}: ${total((r) => r.answered200).toLocaleString("en")} answered 200, ${total((r) => r.non200 + r.socketErrors)} not 200 or no answer` +
    (redelivered > 0 ? `, ${total((r) => r.duplicates).toLocaleString("en")} of them "duplicate" for ${redelivered.toLocaleString("en")} redeliveries sent` : "") +
    (events === undefined ? "" : `, ${events.toLocaleString("en")} distinct events out`) +
    // Only the spooled row delivers after its 200s; the others (stdout, NATS) answer 200 once out.
    (during.length && server === "relay-spooled"
      ? `; ${f0((100 * during.reduce((n, r) => n + (r.deliveredDuringLoad as number), 0)) / during.reduce((n, r) => n + r.answered200, 0))}% delivered before the load stopped, spool empty ${f1(median(drain))} s after (median)`
      : "") +
    (runs.some((r) => r.relayWarnings > 0) ? `; ${total((r) => r.relayWarnings)} warn/error log lines` : "")
  );
}

/**
 * Where and with what the run happened: CPUs and pinning, Node and the relay program, the verify
 * rate, the hypervisor's steal.
 *
 * @param bench The context.
 * @param program The relay program.
 * @param verifyPerSec This machine's Ed25519 verify rate on one CPU.
 * @returns Three lines, no final newline.
 * @example
 * ```ts
 * bench.out(`${header(bench, program, verifyPerSec)}\n`);
 * ```
 */
export function header(bench: BenchContext, program: RelayProgram, verifyPerSec: number): string {
  const { place, options } = bench;
  const model = osCpus()[0]?.model ?? "unknown CPU";
  const pin = place.pinned
    ? `servers on CPU ${place.serverCpus}, wrk (${Math.min(place.loadCpuCount, options.connections)} thread) + downstream + stdout reader on CPU ${place.loadCpus}`
    : "not pinned";
  return [
    `machine: ${place.cpuCount} CPUs (${model}), Linux; ${pin}`,
    `node ${bench.nodeVersion} for baseline, peer and helpers; relay: ${program.label}${options.relayArgs.length ? ` ${options.relayArgs.join(" ")}` : ""}` +
      (program.kind === "source" ? " (from source, Node's type stripping adds ~17 MB to the relay's RSS)" : ""),
    `Ed25519 verify on one CPU here: ${f0(verifyPerSec)}/s (${f0(1e6 / verifyPerSec)} µs); hypervisor steal during the run: ${f1(bench.steal())}%`,
  ].join("\n");
}
