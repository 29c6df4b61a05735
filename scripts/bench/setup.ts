// The benchmark's context: where things run (CPU pinning), which programs (the pinned Node 24, the
// relay binary or source), the tools it needs (wrk, the peer's npm install), its temporary
// directory, its children and its two output channels. Made once by the entry and passed around.
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, realpathSync, statSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join, relative } from "node:path";
import process from "node:process";
import { cpuIndices, stealMeter } from "./machine.ts";
import { UsageError, type BenchOptions } from "./options.ts";
import { Children, commandExists } from "./processes.ts";

/** The repository's root directory. */
export const ROOT = join(import.meta.dirname, "..", "..");
/** scripts/bench: the helper programs. */
export const BENCH = import.meta.dirname;
/** The peer's own package (Express 5 + telnyx SDK). */
export const PEER_DIR = join(ROOT, "bench", "peer");

/** How the relay is started. */
export interface RelayProgram {
  readonly kind: "binary" | "source";
  readonly command: string;
  readonly args: readonly string[];
  readonly label: string;
}

/** Which CPUs servers and load run on. */
export interface Placement {
  readonly cpuCount: number;
  /** False with one CPU or no taskset: then nothing is pinned. */
  readonly pinned: boolean;
  readonly serverCpus: string;
  readonly loadCpus: string;
  readonly serverCpuCount: number;
  readonly loadCpuCount: number;
  /** Indices of the load CPUs (empty when not pinned). */
  readonly loadCpuIndices: readonly number[];
  /** argv that runs `command args` on `cpus` (or unpinned). */
  onCpus(cpus: string, command: string, args: readonly string[]): [string, string[]];
}

/** Everything a run needs besides its own arguments. */
export interface BenchContext {
  readonly options: BenchOptions;
  readonly place: Placement;
  /** The Node 24 of node_modules (the `node` dev dependency), whatever `node` is on PATH. */
  readonly node: string;
  readonly nodeVersion: string;
  /** A fresh temporary directory: pools, spools, logs. */
  readonly work: string;
  readonly children: Children;
  /** The environment children get: no TELNYX_* variable, no NODE_OPTIONS. */
  readonly baseEnv: Readonly<Record<string, string>>;
  /** The hypervisor's steal since start-up, in %. */
  readonly steal: () => number;
  /** The human output: stdout, or stderr when stdout carries the JSON. */
  out(text: string): void;
  /** A progress line on stderr. */
  say(text: string): void;
}

/**
 * Makes the context: pins this process to the load CPUs, finds Node, makes the temporary directory.
 *
 * @param options The parsed command line.
 * @returns The context.
 * @example
 * ```ts
 * const bench = createContext(parseBenchOptions(process.argv.slice(2)));
 * ```
 */
export function createContext(options: BenchOptions): BenchContext {
  const say = (text: string): void => void process.stderr.write(`bench: ${text}\n`);
  const cpuCount = availableParallelism();
  const pinned = cpuCount >= 2 && commandExists("taskset");
  if (!pinned) say(cpuCount < 2 ? "one CPU: nothing is pinned; server and load generator share it" : "taskset not found: nothing is pinned");
  const { serverCpus, loadCpus } = options;
  // This script (and the children it starts without an explicit pin) stays off the server CPUs.
  if (pinned) spawnSync("taskset", ["-a", "-cp", loadCpus, String(process.pid)], { stdio: "ignore" });
  const place: Placement = {
    cpuCount,
    pinned,
    serverCpus,
    loadCpus,
    serverCpuCount: pinned ? cpuIndices(serverCpus).length : cpuCount,
    loadCpuCount: pinned ? cpuIndices(loadCpus).length : 1,
    loadCpuIndices: pinned ? cpuIndices(loadCpus) : [],
    onCpus: (cpus, command, args) => (pinned ? ["taskset", ["-c", cpus, command, ...args]] : [command, [...args]]),
  };
  const localNode = join(ROOT, "node_modules", ".bin", "node");
  const node = existsSync(localNode) ? realpathSync(localNode) : process.execPath;
  return {
    options,
    place,
    node,
    nodeVersion: spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim(),
    work: mkdtempSync(join(tmpdir(), "telnyx-relay-bench-")),
    children: new Children(),
    baseEnv: Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("TELNYX_") && name !== "NODE_OPTIONS")) as Record<string, string>,
    steal: stealMeter(),
    out: (text) => void (options.json ? process.stderr : process.stdout).write(text),
    say,
  };
}

/**
 * The relay to run: dist/telnyx-relay (or --relay-bin) when it is an executable, else
 * `node src/main.ts`; always the source for --from-source and --profile.
 *
 * @param bench The context.
 * @returns The program.
 * @throws {UsageError} If --relay-bin names no executable.
 * @example
 * ```ts
 * const program = relayProgram(bench); // { kind: "binary", command: "/…/dist/telnyx-relay", … }
 * ```
 */
export function relayProgram(bench: BenchContext): RelayProgram {
  const { options } = bench;
  const source: RelayProgram = { kind: "source", command: bench.node, args: [join(ROOT, "src", "main.ts")], label: `node src/main.ts (node ${bench.nodeVersion})` };
  if (options.fromSource || options.mode === "profile") return source;
  const bin = options.relayBin ?? join(ROOT, "dist", "telnyx-relay");
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    if (options.relayBin !== undefined) throw new UsageError(`--relay-bin: ${bin} is not an executable file`);
    return { ...source, label: `${source.label}; dist/telnyx-relay is not built (npm run build)` };
  }
  const shown = relative(ROOT, bin).startsWith("..") ? bin : relative(ROOT, bin);
  return { kind: "binary", command: bin, args: [], label: `${shown} (single executable, ${(statSync(bin).size / 2 ** 20).toFixed(0)} MiB)` };
}

/**
 * wrk from Debian: checked, and installed with apt-get when missing and running as root.
 *
 * @param say Progress output.
 * @returns True if wrk is there (now).
 * @example
 * ```ts
 * if (!ensureWrk(bench.say)) process.exit(2);
 * ```
 */
export function ensureWrk(say: (text: string) => void): boolean {
  if (commandExists("wrk")) return true;
  if (process.getuid?.() === 0 && commandExists("apt-get")) {
    say("wrk is not installed: installing Debian's wrk (apt-get install -y wrk)");
    const install = () => spawnSync("apt-get", ["install", "-y", "-q", "wrk"], { stdio: ["ignore", 2, 2], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } }).status === 0;
    if (!install()) {
      say("apt-get install failed: running apt-get update and trying again");
      spawnSync("apt-get", ["update", "-q"], { stdio: ["ignore", 2, 2] });
      install();
    }
  }
  if (!commandExists("wrk")) {
    say("wrk is required: install it with `apt-get install -y wrk` (Debian/Ubuntu) and run again");
    return false;
  }
  say("wrk installed");
  return true;
}

/**
 * The peer's dependencies (express, telnyx) in bench/peer/node_modules: `npm ci` there when missing.
 *
 * @param say Progress output.
 * @returns True if they are there (now).
 * @example
 * ```ts
 * if (!ensurePeer(bench.say)) process.exit(2);
 * ```
 */
export function ensurePeer(say: (text: string) => void): boolean {
  const have = (name: string) => existsSync(join(PEER_DIR, "node_modules", name, "package.json"));
  if (have("express") && have("telnyx")) return true;
  say("installing the peer's dependencies: npm ci in bench/peer (express 5, telnyx; never a dependency of telnyx-relay)");
  const result = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: PEER_DIR, stdio: ["ignore", 2, 2] });
  if (result.status !== 0 || !have("express") || !have("telnyx")) {
    say("npm ci in bench/peer failed");
    return false;
  }
  return true;
}
