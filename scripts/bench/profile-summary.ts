// Summarises a V8 .cpuprofile (`node --cpu-prof`): self time by function, grouped into the relay's
// own code, Node's internals (node:*), native/V8 code (builtins and C++ bindings called from JS,
// which the profile shows without a URL), dependencies, and V8's pseudo-frames (GC, idle, program);
// plus the inclusive time of the relay's own functions (time with them on the stack).
//
//   node scripts/bench/profile-summary.ts PROFILE.cpuprofile [--top N] [--root DIR]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import process from "node:process";
import { parseArgs } from "node:util";

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Where a function's code lives. */
export type Category = "own" | "node" | "native" | "dependency" | "meta";

/** One function's time, in milliseconds. */
export interface FunctionTime {
  readonly name: string;
  readonly location: string;
  readonly category: Category;
  readonly selfMs: number;
  readonly selfPercent: number;
}

/** The profile, summarised. */
export interface ProfileSummary {
  readonly totalMs: number;
  /** totalMs minus (idle): the time the process was running; the shares are of this. */
  readonly busyMs: number;
  /** Total self time per category, in ms. */
  readonly byCategory: Readonly<Record<Category, number>>;
  /** Every function with self time, most first. */
  readonly functions: readonly FunctionTime[];
  /** The relay's own functions by time on the stack (self + callees), most first. */
  readonly ownInclusive: ReadonlyArray<{ readonly name: string; readonly location: string; readonly inclusiveMs: number; readonly inclusivePercent: number }>;
}

const META = new Set(["(root)", "(program)", "(idle)", "(garbage collector)"]);

/**
 * Aggregates self time (and the own code's inclusive time) of a V8 CPU profile by function.
 *
 * @param profile The parsed .cpuprofile JSON.
 * @param root The project directory: code under `<root>/src/` is the relay's own.
 * @returns The summary.
 */
export function summarizeProfile(profile: CpuProfile, root: string): ProfileSummary {
  const ownPrefix = pathToFileURL(join(root, "src")).href + "/";
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const categoryOf = (node: ProfileNode): Category => {
    const { functionName, url } = node.callFrame;
    if (url === "" && META.has(functionName)) return "meta";
    if (url.startsWith(ownPrefix)) return "own";
    if (url.startsWith("node:")) return "node";
    if (url === "") return "native";
    return "dependency";
  };
  const keyOf = (node: ProfileNode): string => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === "" ? "" : `${url.startsWith(ownPrefix) ? `src/${url.slice(ownPrefix.length)}` : url}:${lineNumber + 1}`;
    return `${functionName || "(anonymous)"}\u0000${where}`;
  };

  // Sample i lasts from its timestamp to the next one's; the last sample gets the mean interval.
  const { samples, timeDeltas } = profile;
  const totalUs = profile.endTime - profile.startTime;
  const meanUs = samples.length > 0 ? totalUs / samples.length : 0;
  const self = new Map<string, { node: ProfileNode; us: number }>();
  const inclusive = new Map<string, number>();
  for (let i = 0; i < samples.length; i++) {
    const us = i + 1 < timeDeltas.length ? (timeDeltas[i + 1] as number) : meanUs;
    const node = byId.get(samples[i] as number);
    if (node === undefined || us <= 0) continue;
    const key = keyOf(node);
    const entry = self.get(key);
    if (entry) entry.us += us;
    else self.set(key, { node, us });
    // Inclusive time of own functions: each function once per sample, however deep it recurses.
    const seen = new Set<string>();
    for (let at: ProfileNode | undefined = node; at !== undefined; at = byId.get(parent.get(at.id) ?? -1)) {
      if (categoryOf(at) !== "own") continue;
      const atKey = keyOf(at);
      if (seen.has(atKey)) continue;
      seen.add(atKey);
      inclusive.set(atKey, (inclusive.get(atKey) ?? 0) + us);
    }
  }

  const totalMs = totalUs / 1000;
  let idleUs = 0;
  for (const [key, { us }] of self) if (key.startsWith("(idle)\u0000")) idleUs += us;
  const busyMs = totalMs - idleUs / 1000;
  const percent = (ms: number): number => (busyMs > 0 ? (100 * ms) / busyMs : 0);
  const byCategory: Record<Category, number> = { own: 0, node: 0, native: 0, dependency: 0, meta: 0 };
  const functions: FunctionTime[] = [];
  for (const [key, { node, us }] of self) {
    const [name, location] = key.split("\u0000") as [string, string];
    const category = categoryOf(node);
    byCategory[category] += us / 1000;
    functions.push({ name, location, category, selfMs: us / 1000, selfPercent: percent(us / 1000) });
  }
  functions.sort((a, b) => b.selfMs - a.selfMs);
  const ownInclusive = [...inclusive]
    .map(([key, us]) => {
      const [name, location] = key.split("\u0000") as [string, string];
      return { name, location, inclusiveMs: us / 1000, inclusivePercent: percent(us / 1000) };
    })
    .sort((a, b) => b.inclusiveMs - a.inclusiveMs);
  return { totalMs, busyMs, byCategory, functions, ownInclusive };
}

/**
 * The summary as text: category totals, then the top self-time functions of each category, then
 * the own code's inclusive times.
 *
 * @param summary From {@link summarizeProfile}.
 * @param top Rows per list.
 * @param requests Requests served while profiled: adds a µs-per-request column.
 * @returns Lines of text, ending with a newline.
 */
export function formatProfileSummary(summary: ProfileSummary, top = 15, requests?: number): string {
  const ms = (value: number): string => value.toFixed(1).padStart(8);
  const pct = (value: number): string => `${value.toFixed(1).padStart(5)}%`;
  const perRequest = (value: number): string => (requests ? `${((value * 1000) / requests).toFixed(2).padStart(7)}  ` : "");
  const perRequestHead = requests ? `${"µs/req".padStart(7)}  ` : "";
  const lines: string[] = [];
  const c = summary.byCategory;
  const busyShare = (value: number): string => pct((100 * value) / summary.busyMs);
  lines.push(
    `profile: ${(summary.totalMs / 1000).toFixed(1)} s sampled, ${(summary.busyMs / 1000).toFixed(1)} s not idle; shares below are of the non-idle time` +
      (requests ? `; µs/req = time / ${requests.toLocaleString("en")} requests served while profiled` : ""),
  );
  lines.push(
    `self time by category: relay code ${busyShare(c.own)}, node internals ${busyShare(c.node)}, ` +
      `native/V8 ${busyShare(c.native)}, dependencies ${busyShare(c.dependency)}, ` +
      `GC + program ${busyShare(c.meta - (summary.totalMs - summary.busyMs))}`,
  );
  const section = (title: string, rows: readonly FunctionTime[]): void => {
    lines.push("", `${title}:`, `${"self ms".padStart(8)}   share  ${perRequestHead}function  (location)`);
    for (const row of rows.slice(0, top)) lines.push(`${ms(row.selfMs)}  ${pct(row.selfPercent)}  ${perRequest(row.selfMs)}${row.name}${row.location ? `  (${row.location})` : ""}`);
  };
  section("relay's own code (src/), top self time", summary.functions.filter((f) => f.category === "own"));
  section("node internals (node:*), top self time", summary.functions.filter((f) => f.category === "node"));
  section("native / V8 builtins and C++ bindings, top self time", summary.functions.filter((f) => f.category === "native"));
  section("GC, program (outside JS; idle not counted in the shares)", summary.functions.filter((f) => f.category === "meta" && f.name !== "(idle)"));
  lines.push("", "relay's own code, inclusive time (with callees):", `${"incl ms".padStart(8)}   share  ${perRequestHead}function  (location)`);
  for (const row of summary.ownInclusive.slice(0, top)) lines.push(`${ms(row.inclusiveMs)}  ${pct(row.inclusivePercent)}  ${perRequest(row.inclusiveMs)}${row.name}  (${row.location})`);
  return `${lines.join("\n")}\n`;
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    options: { top: { type: "string", default: "15" }, root: { type: "string", default: join(import.meta.dirname, "..", "..") } },
    allowPositionals: true,
    strict: true,
  });
  const file = positionals[0];
  if (file === undefined) {
    process.stderr.write("usage: profile-summary.ts PROFILE.cpuprofile [--top N] [--root DIR]\n");
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  process.stdout.write(formatProfileSummary(summarizeProfile(profile, values.root), Number(values.top)));
}
