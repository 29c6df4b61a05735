// npm run bench: telnyx-relay's throughput, latency and memory against the ceiling and against what
// a user would write instead, measured in one run on the same machine (issue 5).
//
//   npm run bench                                  3 rounds × 10 s per server, table on stdout
//   npm run bench -- --duration 20 --rounds 5 --connections 50 --json > bench.json
//   npm run bench -- --smoke                       a few seconds, one round: correctness only (CI)
//   npm run bench -- --soak                        5 minutes of the relay (stdout mode): is RSS flat?
//   npm run bench -- --profile                     the relay from source under `node --cpu-prof`
//   npm run bench -- --only relay-stdout,baseline --relay-arg=--dedup-window=0
//   npm run bench -- --server-cpus 0,1 --load-cpus 0,1 --relay-arg=--workers=2   (beyond one core)
//
// Servers, run alternately (round r starts with server r), each a fresh process for each run, for
// the same duration after the same warm-up, with the same keep-alive connections:
//   baseline       scripts/bench/baseline.mjs: node:http, read the body, crypto.verify with a
//                  KeyObject made once, answer 200. The ceiling, on the same Node 24.
//   relay-stdout   telnyx-relay, stdout to a pipe read by another process (scripts/bench/count-lines.ts).
//   relay-spooled  telnyx-relay --forward-url to a local downstream (scripts/bench/downstream.ts)
//                  answering 200, --spool-dir in a fresh temporary directory (on disk: fsyncs are real).
//   peer           bench/peer/server.mjs: Express 5 + express.raw + the official telnyx SDK's verifier
//                  (its own package.json: none of it is a dependency of telnyx-relay).
// The relay is dist/telnyx-relay (`npm run build`) when it exists, else `node src/main.ts`; the
// report says which.
//
// Load: wrk (Debian's `wrk`; installed with apt-get when missing and running as root), pinned with
// taskset to --load-cpus (default 1), the servers to --server-cpus (default 0). The downstream, the
// stdout reader, and this script also live on the load CPUs.
//
// Requests. Every request is the seed REFER event (scripts/seed-event.ts) signed like Telnyx signs
// (src/pipeline/sign.ts) with a fresh timestamp, and every request is a DISTINCT event (its CallSid
// gets a suffix): the relay deduplicates by event id, so resending a few signed bodies would measure
// its "200 duplicate" shortcut instead of its request path, and the events-out count could not be
// checked. wrk's Lua cannot sign, so a pool of distinct signed requests is made before each round
// (scripts/bench/make-pool.ts, on all CPUs, nothing else running) and the wrk script walks through it
// without repeating (scripts/bench/requests.lua). The pool is sized from this machine's Ed25519
// verify rate, which bounds what any server can answer per CPU; the timestamp is fresh enough for the
// relay's 300 s tolerance (a new pool is signed when the old one would get too old).
//
// Correctness (every run; a failure makes the exit status 1): every answer is 200 (wrk's response
// hook counts the others), no socket errors or timeouts, no repeated event was sent, the relay
// never answered "duplicate", a good request is answered 200 and a tampered one is refused; for the
// relay, every 200 has its event out (distinct event ids on stdout / at the downstream ≥ the 200s)
// and nothing else came out.
//
// Figures: req/s = 200s in the measured window / its duration (median over rounds); p50/p99 from
// wrk's latency histogram (median over rounds); peak RSS = VmHWM of the server process (summed over
// its worker processes, if any) at the end
// of its run (max over rounds); anon RSS = RssAnon at the end of the run, the process's own memory
// without the executable's file-backed pages (max over rounds); CPU µs/req = the server's utime+stime during the window / requests.
// The machines are noisy: compare the ratios from one run, not milliseconds across runs.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { generateKeyPairSync, sign, verify } from "node:crypto";
import { once } from "node:events";
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { availableParallelism, cpus as osCpus, tmpdir } from "node:os";
import { join, relative } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { parseArgs } from "node:util";
import { signDelivery } from "../src/crypto/sign.ts";
import { distinctBody } from "./bench/make-pool.ts";
import { formatProfileSummary, summarizeProfile } from "./bench/profile-summary.ts";

const ROOT = join(import.meta.dirname, "..");
const BENCH = join(import.meta.dirname, "bench");
const PEER_DIR = join(ROOT, "bench", "peer");
const PATH = "/webhooks/telnyx";
const TOLERANCE_S = 300;
// A pool is not used for a run that would end later than this after it was signed.
const POOL_MAX_AGE_S = TOLERANCE_S - 30;
// The most a server could answer per second per CPU is its Ed25519 verify rate; pools get this margin.
const POOL_MARGIN = 1.3;

const SERVER_NAMES = ["baseline", "relay-stdout", "relay-spooled", "peer"] as const;
type ServerName = (typeof SERVER_NAMES)[number];
const LABELS: Record<ServerName, string> = {
  baseline: "baseline: node:http + crypto.verify",
  "relay-stdout": "telnyx-relay, stdout → pipe",
  "relay-spooled": "telnyx-relay, spooled → local downstream",
  peer: "peer: Express 5 + telnyx SDK",
};

// ---------------------------------------------------------------------------------------------
// Options

const USAGE = `usage: node scripts/bench.ts [options]
  --duration S         measured seconds per run (default 10; --smoke 2; --profile 10)
  --warmup S           unmeasured seconds before each run (default 2; --smoke 1)
  --rounds N           rounds; each runs every server once (default 3; --smoke 1)
  --connections N      keep-alive connections (default 50)
  --only LIST          servers, comma-separated: ${SERVER_NAMES.join(",")}
  --json               write the results as JSON on stdout (the table goes to stderr)
  --smoke              a short run of every server, for CI: correctness only, no timing claims
  --soak               the relay in stdout mode under load for --soak-duration, RSS sampled
  --soak-duration S    default 300
  --sample-interval S  soak RSS sampling interval (default 5)
  --profile            the relay from source under node --cpu-prof (stdout mode unless --only
                       relay-spooled), then a summary of the profile
  --profile-dir DIR    where the .cpuprofile goes (default: a new directory under ${tmpdir()})
  --relay-bin PATH     the relay executable (default dist/telnyx-relay if built)
  --from-source        run node src/main.ts even if dist/telnyx-relay exists
  --relay-arg ARG      extra relay argument (repeatable), e.g. --relay-arg=--dedup-window=0
  --server-cpus LIST   taskset CPU list of the servers (default 0)
  --load-cpus LIST     taskset CPU list of wrk, the downstream and the stdout reader (default 1)
  --keep               keep the temporary directory (pools, spools, logs)
`;

const { values: options } = parseArgs({
  options: {
    duration: { type: "string" },
    warmup: { type: "string" },
    rounds: { type: "string" },
    connections: { type: "string", default: "50" },
    only: { type: "string" },
    json: { type: "boolean", default: false },
    smoke: { type: "boolean", default: false },
    soak: { type: "boolean", default: false },
    "soak-duration": { type: "string", default: "300" },
    "sample-interval": { type: "string", default: "5" },
    profile: { type: "boolean", default: false },
    "profile-dir": { type: "string" },
    "relay-bin": { type: "string" },
    "from-source": { type: "boolean", default: false },
    "relay-arg": { type: "string", multiple: true, default: [] },
    "server-cpus": { type: "string", default: "0" },
    "load-cpus": { type: "string", default: "1" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});
if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}

/** Whole seconds from "10", "10s", "5m". */
function seconds(name: string, text: string, min: number): number {
  const match = /^(\d+)(s|m)?$/.exec(text.trim());
  const value = match ? Number(match[1]) * (match[2] === "m" ? 60 : 1) : Number.NaN;
  if (!Number.isInteger(value) || value < min) usage(`--${name}: "${text}" is not a whole number of seconds ≥ ${min}`);
  return value;
}
function integer(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) usage(`--${name}: "${text}" is not an integer ≥ ${min}`);
  return value;
}
function usage(message: string): never {
  process.stderr.write(`bench: ${message}\n${USAGE}`);
  process.exit(2);
}

const modes = [options.smoke, options.soak, options.profile].filter(Boolean).length;
if (modes > 1) usage("--smoke, --soak and --profile are separate modes");
const mode = options.smoke ? "smoke" : options.soak ? "soak" : options.profile ? "profile" : "bench";
const duration = seconds("duration", options.duration ?? (mode === "smoke" ? "2" : "10"), 1);
const warmup = seconds("warmup", options.warmup ?? (mode === "smoke" ? "1" : "2"), 0);
const rounds = mode === "bench" ? integer("rounds", options.rounds ?? "3", 1) : 1;
const connections = integer("connections", options.connections, 1);
const soakDuration = seconds("soak-duration", options["soak-duration"], 10);
const sampleInterval = seconds("sample-interval", options["sample-interval"], 1);
let servers: ServerName[];
if (options.only !== undefined) {
  servers = options.only.split(",").map((name) => name.trim()) as ServerName[];
  for (const name of servers) if (!SERVER_NAMES.includes(name)) usage(`--only: unknown server "${name}" (${SERVER_NAMES.join(", ")})`);
} else if (mode === "soak" || mode === "profile") servers = ["relay-stdout"];
else servers = [...SERVER_NAMES];
if (mode === "soak" && (servers.length !== 1 || servers[0] !== "relay-stdout")) usage("--soak runs relay-stdout only");
if (mode === "profile" && (servers.length !== 1 || !servers[0]?.startsWith("relay-"))) usage("--profile runs one relay mode: --only relay-stdout or relay-spooled");
if (mode === "bench" && rounds < 3) process.stderr.write("bench: fewer than 3 rounds: the medians are weak\n");

// The human output: stdout, or stderr when stdout carries the JSON.
const out = (text: string): void => void (options.json ? process.stderr : process.stdout).write(text);
const say = (text: string): void => void process.stderr.write(`bench: ${text}\n`);

// ---------------------------------------------------------------------------------------------
// Tools, CPUs and programs

function commandExists(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/** wrk from Debian: checked, and installed with apt-get when missing and running as root. */
function ensureWrk(): void {
  if (commandExists("wrk")) return;
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
    process.exit(2);
  }
  say("wrk installed");
}

/** The peer's dependencies (express, telnyx) in bench/peer/node_modules: `npm ci` there when missing. */
function ensurePeer(): void {
  const have = (name: string) => existsSync(join(PEER_DIR, "node_modules", name, "package.json"));
  if (have("express") && have("telnyx")) return;
  say("installing the peer's dependencies: npm ci in bench/peer (express 5, telnyx; never a dependency of telnyx-relay)");
  const result = spawnSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: PEER_DIR, stdio: ["ignore", 2, 2] });
  if (result.status !== 0 || !have("express") || !have("telnyx")) {
    say("npm ci in bench/peer failed");
    process.exit(2);
  }
}

const cpuCount = availableParallelism();
const pinned = cpuCount >= 2 && commandExists("taskset");
if (!pinned) say(cpuCount < 2 ? "one CPU: nothing is pinned; server and load generator share it" : "taskset not found: nothing is pinned");
const serverCpus = options["server-cpus"];
const loadCpus = options["load-cpus"];
const cpuListSize = (list: string): number =>
  list.split(",").reduce((sum, part) => {
    const [a, b] = part.split("-").map(Number) as [number, number | undefined];
    return sum + (b === undefined ? 1 : b - a + 1);
  }, 0);
const serverCpuCount = pinned ? cpuListSize(serverCpus) : cpuCount;
const loadCpuIndices = pinned ? cpuIndices(loadCpus) : [];
const loadCpuCount = pinned ? cpuListSize(loadCpus) : 1;
if (pinned) {
  // This script (and the children it starts without an explicit pin) stays off the server CPUs.
  spawnSync("taskset", ["-a", "-cp", loadCpus, String(process.pid)], { stdio: "ignore" });
}

/** argv that runs `command args` on `cpus` (or unpinned). */
function onCpus(cpus: string, command: string, args: readonly string[]): [string, string[]] {
  return pinned ? ["taskset", ["-c", cpus, command, ...args]] : [command, [...args]];
}

// The pinned Node 24 from node_modules (the `node` dev dependency), whatever `node` is on PATH.
const localNode = join(ROOT, "node_modules", ".bin", "node");
const node = existsSync(localNode) ? realpathSync(localNode) : process.execPath;
const nodeVersion = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();

interface RelayProgram {
  readonly kind: "binary" | "source";
  readonly command: string;
  readonly args: readonly string[];
  readonly label: string;
}

function relayProgram(): RelayProgram {
  const source: RelayProgram = { kind: "source", command: node, args: [join(ROOT, "src", "main.ts")], label: `node src/main.ts (node ${nodeVersion})` };
  if (options["from-source"] || mode === "profile") return source;
  const bin = options["relay-bin"] ?? join(ROOT, "dist", "telnyx-relay");
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    if (options["relay-bin"] !== undefined) usage(`--relay-bin: ${bin} is not an executable file`);
    return { ...source, label: `${source.label}; dist/telnyx-relay is not built (npm run build)` };
  }
  const shown = relative(ROOT, bin).startsWith("..") ? bin : relative(ROOT, bin);
  return { kind: "binary", command: bin, args: [], label: `${shown} (single executable, ${(statSync(bin).size / 2 ** 20).toFixed(0)} MiB)` };
}

// ---------------------------------------------------------------------------------------------
// Keys, the verify rate, pools of signed requests

const work = mkdtempSync(join(tmpdir(), "telnyx-relay-bench-"));
const { publicKey, privateKey } = generateKeyPairSync("ed25519");
// As Telnyx's portal shows it: base64 of the raw 32 bytes (the SPKI DER minus its 12-byte prefix).
const portalKey = publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");
const privateKeyFile = join(work, "signing-key.pem");
writeFileSync(privateKeyFile, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });

/**
 * Ed25519 verifies per second on one CPU of this machine (this script runs on a load CPU): the best
 * of several short batches, the least disturbed by neighbours. It sizes the pools, so an estimate
 * too low would make a pool run out (which fails the run), one too high only costs signing time.
 */
function measureVerifyRate(): number {
  const message = Buffer.from(`1700000000|${distinctBody("calibration")}`);
  const signature = sign(null, message, privateKey);
  for (let i = 0; i < 200; i++) verify(null, message, publicKey, signature);
  let best = 0;
  for (let batch = 0; batch < 8; batch++) {
    const n = 400;
    const started = performance.now();
    for (let i = 0; i < n; i++) verify(null, message, publicKey, signature);
    best = Math.max(best, n / ((performance.now() - started) / 1000));
  }
  return best;
}

/** Signed requests for wrk: files of "<timestamp>\t<signature>\t<body>" lines, all distinct events. */
interface Pool {
  readonly files: readonly string[];
  readonly size: number;
  /** Unix seconds of its telnyx-timestamp. */
  readonly signedAt: number;
}

let poolCounter = 0;

/** Signs `size` distinct requests with one fresh timestamp, in parallel on every CPU (run it while no server runs). */
async function makePool(size: number): Promise<Pool> {
  const tag = `p${poolCounter++}x`;
  const signedAt = Math.floor(Date.now() / 1000);
  const parts = Math.min(cpuCount, Math.max(1, Math.ceil(size / 10_000)));
  const per = Math.ceil(size / parts);
  const started = performance.now();
  const files = await Promise.all(
    Array.from({ length: parts }, async (_, i) => {
      const file = join(work, `pool-${tag}-${i}.txt`);
      const from = i * per;
      const to = Math.min(size, from + per);
      const [command, args] = onCpus(String(i % cpuCount), node, [join(BENCH, "make-pool.ts"), privateKeyFile, tag, String(from), String(to), String(signedAt), file]);
      const child = spawn(command, args, { stdio: ["ignore", "ignore", "inherit"] });
      const [code] = (await once(child, "exit")) as [number | null];
      if (code !== 0) throw new Error(`make-pool.ts exited with ${code}`);
      return file;
    }),
  );
  say(`signed ${size.toLocaleString("en")} distinct requests in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { files, size, signedAt };
}

function removePool(pool: Pool): void {
  for (const file of pool.files) rmSync(file, { force: true });
}

// ---------------------------------------------------------------------------------------------
// Processes

const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

function killAll(): void {
  for (const child of children) child.kill("SIGKILL");
}
process.once("SIGINT", () => {
  killAll();
  if (!options.keep) rmSync(work, { recursive: true, force: true });
  process.exit(130);
});

/** The first line of `stream` for which `pick` returns a value; rejects on timeout or end. */
function firstLine<T>(stream: Readable, pick: (line: string) => T | undefined, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: stream });
    const timer = setTimeout(() => {
      lines.close();
      reject(new Error(`${what}: nothing within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    lines.on("line", (line) => {
      const value = pick(line);
      if (value !== undefined) {
        clearTimeout(timer);
        resolve(value); // before close(), whose 'close' event rejects (a no-op once resolved)
        lines.close();
      }
    });
    lines.on("close", () => {
      clearTimeout(timer);
      reject(new Error(`${what}: the stream ended`));
    });
  });
}

const portLine = (line: string): number | undefined => {
  try {
    const port = (JSON.parse(line) as { port?: unknown }).port;
    return typeof port === "number" ? port : undefined;
  } catch {
    return undefined;
  }
};

/** Resolves with the exit code; SIGKILL after `timeoutMs` (then the code is null). */
async function stopProcess(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [code, signal] = await exited;
  clearTimeout(timer);
  return signal === "SIGKILL" ? null : code;
}

/**
 * From /proc/<pid>/status, in MB. VmHWM: peak resident set; VmRSS: now; RssAnon: the part of it that
 * is the process's own memory (heap, buffers, malloc), not pages of the executable or libraries
 * mapped from disk (RssFile), which the kernel shares between processes and can drop at will.
 */
function memoryMb(pid: number, field: "VmHWM" | "VmRSS" | "RssAnon"): number {
  // Summed over the process and its workers (--workers N): what the relay costs the machine.
  let total = 0;
  for (const one of processTree(pid)) {
    try {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${one}/status`, "utf8"));
      total += match ? Number(match[1]) / 1024 : Number.NaN;
    } catch {
      if (one === pid) return Number.NaN;
    }
  }
  return total;
}

/** A process and all its descendants (from /proc/<pid>/task/<tid>/children). */
function processTree(pid: number): number[] {
  const found = [pid];
  for (let i = 0; i < found.length; i++) {
    try {
      for (const task of readdirSync(`/proc/${found[i]}/task`)) {
        const children = readFileSync(`/proc/${found[i]}/task/${task}/children`, "utf8").trim();
        if (children !== "") found.push(...children.split(" ").map(Number));
      }
    } catch {
      // gone, or no such file on this kernel: the process alone
    }
  }
  return found;
}

/** Jiffies of all CPUs from /proc/stat: [total, steal]. */
function cpuJiffies(): [number, number] {
  try {
    const fields = (/^cpu\s+(.*)$/m.exec(readFileSync("/proc/stat", "utf8"))?.[1] ?? "").trim().split(/\s+/).map(Number);
    return [fields.slice(0, 8).reduce((a, b) => a + b, 0), fields[7] ?? 0];
  } catch {
    return [0, 0];
  }
}
const jiffiesAtStart = cpuJiffies();
/** The share of CPU time the hypervisor took (steal) since this script started, in %. */
function stealPercent(): number {
  const [total, steal] = cpuJiffies();
  return total > jiffiesAtStart[0] ? (100 * (steal - jiffiesAtStart[1])) / (total - jiffiesAtStart[0]) : Number.NaN;
}

/** CPU indices of a taskset list such as "0", "0,1" or "2-3". */
function cpuIndices(list: string): number[] {
  return list.split(",").flatMap((part) => {
    const [a, b] = part.split("-").map(Number) as [number, number | undefined];
    return Array.from({ length: (b ?? a) - a + 1 }, (_, i) => a + i);
  });
}

/** [busy, total] jiffies summed over some CPUs (from /proc/stat's cpuN lines; idle and iowait are not busy). */
function cpuBusyJiffies(indices: readonly number[]): [number, number] {
  let busy = 0;
  let total = 0;
  try {
    for (const match of readFileSync("/proc/stat", "utf8").matchAll(/^cpu(\d+)\s+(.*)$/gm)) {
      if (!indices.includes(Number(match[1]))) continue;
      const fields = (match[2] as string).trim().split(/\s+/).map(Number);
      const all = fields.slice(0, 8).reduce((x, y) => x + y, 0);
      total += all;
      busy += all - (fields[3] ?? 0) - (fields[4] ?? 0);
    }
  } catch {
    // not Linux: no figure
  }
  return [busy, total];
}

const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** utime + stime of a process and its workers, in seconds. */
function cpuSeconds(pid: number): number {
  let total = 0;
  for (const one of processTree(pid)) {
    try {
      const stat = readFileSync(`/proc/${one}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      total += (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    } catch {
      if (one === pid) return Number.NaN;
    }
  }
  return total;
}

/** One HTTP request on a fresh connection: the status, 0 if it failed. */
function post(port: number, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve) => {
    const req = httpRequest(
      { host: "127.0.0.1", port, path: PATH, method: "POST", agent: false, headers: { "content-type": "application/x-www-form-urlencoded", connection: "close", ...headers } },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", () => resolve(0));
    req.end(body);
  });
}

function getText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve(text));
    });
    req.on("error", reject);
    req.end();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------------------------
// Servers

/** What came out of a relay run: event lines on stdout, or requests at the downstream. */
interface EventsOut {
  /** Lines / requests received. */
  readonly received: number;
  /** Distinct event ids among them. */
  readonly distinct: number;
  /** Lines that are not a REFER CloudEvent / requests whose ce-id does not match the body. */
  readonly bad: number;
}

interface Running {
  readonly pid: number;
  readonly port: number;
  /** Distinct events already out (spooled: at the downstream), for a mid-run look; undefined if none are written. */
  peekEvents(): Promise<number | undefined>;
  /** After the load: lets queued work finish (spool delivery), then stops everything. */
  finish(): Promise<{ events?: EventsOut; drainSeconds?: number; exitCode: number | null; peakRssMb: number; anonRssMb: number; warnings: number; logTail: string }>;
}

const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("TELNYX_") && name !== "NODE_OPTIONS")) as Record<string, string>;

async function startSimple(name: "baseline" | "peer"): Promise<Running> {
  const script = name === "baseline" ? join(BENCH, "baseline.mjs") : join(PEER_DIR, "server.mjs");
  const [command, args] = onCpus(serverCpus, node, [script]);
  const child = track(spawn(command, args, { cwd: name === "peer" ? PEER_DIR : ROOT, env: { ...baseEnv, BENCH_PUBLIC_KEY: portalKey, TELNYX_PUBLIC_KEY: portalKey, NODE_ENV: "production" }, stdio: ["ignore", "pipe", "pipe"] }));
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

async function startRelay(program: RelayProgram, spooled: boolean, nodeFlags: readonly string[], runDir: string): Promise<Running> {
  mkdirSync(runDir, { recursive: true });
  let downstream: ChildProcess | undefined;
  let downstreamPort = 0;
  const relayArgs = [...program.args, "--host", "127.0.0.1", "--port", "0", "--public-key", portalKey, "--dead-letter-file", join(runDir, "dead-letter.jsonl")];
  if (spooled) {
    const [dCommand, dArgs] = onCpus(loadCpus, node, [join(BENCH, "downstream.ts")]);
    downstream = track(spawn(dCommand, dArgs, { env: baseEnv, stdio: ["ignore", "pipe", "inherit"] }));
    downstreamPort = await firstLine(downstream.stdout as Readable, portLine, 15_000, "downstream start-up");
    relayArgs.push("--forward-url", `http://127.0.0.1:${downstreamPort}/events`, "--spool-dir", join(runDir, "spool"));
  }
  relayArgs.push(...options["relay-arg"]);
  // Stdout mode: the relay's stdout is a pipe into another process that counts the event lines.
  let counter: ChildProcess | undefined;
  let counted: Promise<EventsOut> | undefined;
  if (!spooled) {
    const [cCommand, cArgs] = onCpus(loadCpus, node, [join(BENCH, "count-lines.ts")]);
    const reader = track(spawn(cCommand, cArgs, { env: baseEnv, stdio: ["pipe", "pipe", "inherit"] }));
    counter = reader;
    counted = firstLine(reader.stdout as Readable, (line) => JSON.parse(line) as { lines: number; distinct: number; bad: number }, 24 * 3600_000, "stdout reader").then(
      (result) => ({ received: result.lines, distinct: result.distinct, bad: result.bad }),
    );
    counted.catch(() => {});
  }
  const [command, args] = onCpus(serverCpus, program.command, program.kind === "source" ? [...nodeFlags, ...relayArgs] : relayArgs);
  const child = track(
    spawn(command, args, {
      cwd: runDir,
      env: baseEnv,
      // stdout: straight into the reader process's stdin (a pipe between the two; this script is not in the way).
      stdio: ["ignore", spooled ? "ignore" : (counter?.stdin ?? "ignore"), "pipe"],
    }),
  );
  counter?.stdin?.destroy(); // the relay holds the pipe's write end now: the reader sees EOF when it exits
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
    let entry: { level?: string; message?: string; port?: number } = {};
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      // a start-up error: one plain line
    }
    if (entry.message === "listening" && typeof entry.port === "number") resolvePort(entry.port);
    // The tampered sanity request is refused with a warn line: expected, not counted.
    if ((entry.level === "warn" || entry.level === "error") && (entry as { reason?: string }).reason !== "bad_signature") warnings++;
  });
  child.once("exit", (code) => rejectPort(new Error(`the relay exited with status ${code} before listening:\n${logTail}`)));
  const timer = setTimeout(() => rejectPort(new Error(`the relay did not listen within 15 s:\n${logTail}`)), 15_000);
  const port = await listening.finally(() => clearTimeout(timer));
  const pid = child.pid as number;

  const downstreamCount = async (): Promise<{ requests: number; distinct: number; bad: number }> =>
    JSON.parse(await getText(downstreamPort, "/count")) as { requests: number; distinct: number; bad: number };

  return {
    pid,
    port,
    async peekEvents() {
      return spooled ? (await downstreamCount()).distinct : undefined;
    },
    async finish() {
      let drainSeconds: number | undefined;
      if (spooled) {
        // Delivery continues after the load: wait until the spool is empty (the relay's own gauge).
        const started = performance.now();
        for (;;) {
          const depth = /^telnyx_relay_spool_depth (\d+)/m.exec(await getText(port, "/metrics").catch(() => ""));
          if (depth && depth[1] === "0") break;
          if (performance.now() - started > 120_000) {
            say("the spool did not empty within 120 s of the load's end");
            break;
          }
          await sleep(50);
        }
        drainSeconds = (performance.now() - started) / 1000;
      }
      const peakRssMb = memoryMb(pid, "VmHWM");
      const anonRssMb = memoryMb(pid, "RssAnon");
      const exitCode = await stopProcess(child, 20_000);
      let events: EventsOut;
      if (spooled) {
        const count = await downstreamCount();
        events = { received: count.requests, distinct: count.distinct, bad: count.bad };
        await stopProcess(downstream as ChildProcess, 5_000);
      } else {
        events = await (counted as Promise<EventsOut>);
      }
      return { events, ...(drainSeconds === undefined ? {} : { drainSeconds }), exitCode, peakRssMb, anonRssMb, warnings, logTail };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// wrk

interface WrkResult {
  readonly requests: number;
  readonly durationUs: number;
  readonly sent: number;
  readonly next: number;
  readonly poolSize: number;
  readonly wraps: number;
  readonly non200: number;
  readonly duplicates: number;
  readonly statuses: string;
  readonly errors: { readonly connect: number; readonly read: number; readonly write: number; readonly status: number; readonly timeout: number };
  readonly latencyUs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number };
}

async function runWrk(port: number, pool: Pool, first: number, durationS: number): Promise<WrkResult> {
  const threads = Math.max(1, Math.min(loadCpuCount, connections));
  const [command, args] = onCpus(loadCpus, "wrk", [
    "-t", String(threads), "-c", String(connections), "-d", `${durationS}s`, "--timeout", "10s",
    "-s", join(BENCH, "requests.lua"), `http://127.0.0.1:${port}${PATH}`, "--", pool.files.join(","), String(first), PATH,
  ]);
  const child = track(spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] }));
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  const line = stdout.split("\n").find((text) => text.startsWith("BENCH-RESULT "));
  if (code !== 0 || line === undefined) throw new Error(`wrk failed (exit ${code}):\n${stdout}${stderr}`);
  return JSON.parse(line.slice("BENCH-RESULT ".length)) as WrkResult;
}

// ---------------------------------------------------------------------------------------------
// One run: one server, fresh process, sanity requests, warm-up, measured load, counts

interface RunResult {
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
  /** 200s counted over the whole run (sanity request, warm-up, measured window). */
  readonly answered200: number;
  readonly sent: number;
  readonly non200: number;
  readonly socketErrors: number;
  readonly events?: EventsOut;
  /** Spooled: events at the downstream when the load stopped / 200s by then. */
  readonly deliveredDuringLoad?: number;
  readonly drainSeconds?: number;
  readonly relayWarnings: number;
  readonly failures: readonly string[];
}

function statusSummary(statuses: string): string {
  const counts = new Map<string, number>();
  for (const match of statuses.matchAll(/\[(\d+)\](\d+);/g)) counts.set(match[1] as string, (counts.get(match[1] as string) ?? 0) + Number(match[2]));
  return [...counts].map(([status, n]) => `${n}× ${status}`).join(", ");
}

async function runOnce(server: ServerName, round: number, pool: Pool, program: RelayProgram, nodeFlags: readonly string[] = []): Promise<RunResult> {
  const runDir = join(work, `${server}-r${round}`);
  const running = server === "baseline" || server === "peer" ? await startSimple(server) : await startRelay(program, server === "relay-spooled", nodeFlags, runDir);
  const failures: string[] = [];
  try {
    // Sanity: a good request is answered 200, a tampered one is refused (the server really verifies).
    const timestamp = Math.floor(Date.now() / 1000);
    const goodBody = distinctBody(`sanity${round}${server}`);
    const good = await post(running.port, { ...signDelivery(privateKey, goodBody, timestamp) }, goodBody);
    const tamperedBody = distinctBody(`tampered${round}${server}`);
    const tampered = await post(running.port, { ...signDelivery(privateKey, goodBody, timestamp) }, tamperedBody);
    if (good !== 200) failures.push(`a correctly signed request was answered ${good}, not 200`);
    if (tampered === 200 || tampered === 0) failures.push(`a request whose body does not match its signature was answered ${tampered}`);

    const warm = warmup > 0 ? await runWrk(running.port, pool, 0, warmup) : undefined;
    const cpuBefore = cpuSeconds(running.pid);
    const loadBefore = cpuBusyJiffies(loadCpuIndices);
    const measured = await runWrk(running.port, pool, warm?.next ?? 0, duration);
    const cpuAfter = cpuSeconds(running.pid);
    const loadAfter = cpuBusyJiffies(loadCpuIndices);
    const deliveredDuringLoad = await running.peekEvents();
    const done = await running.finish();

    const runs = warm ? [warm, measured] : [measured];
    const sum = (pick: (r: WrkResult) => number): number => runs.reduce((total, r) => total + pick(r), 0);
    const non200 = sum((r) => r.non200);
    const socketErrors = sum((r) => r.errors.connect + r.errors.read + r.errors.write + r.errors.timeout);
    const answered200 = (good === 200 ? 1 : 0) + sum((r) => r.requests - r.non200);
    const sent = 1 + sum((r) => r.sent);
    if (non200 > 0) failures.push(`${non200} answers were not 200 (${statusSummary(runs.map((r) => r.statuses).join(""))})`);
    if (socketErrors > 0) {
      const e = (key: keyof WrkResult["errors"]) => sum((r) => r.errors[key]);
      failures.push(`socket errors: connect ${e("connect")}, read ${e("read")}, write ${e("write")}, timeout ${e("timeout")}`);
    }
    if (sum((r) => r.wraps) > 0) failures.push(`the pool of ${pool.size} signed requests ran out: ${sum((r) => r.wraps)} requests repeated an event (a bigger pool is needed)`);
    const duplicates = sum((r) => r.duplicates);
    if (duplicates > 0) failures.push(`${duplicates} requests were answered "duplicate": the relay saw an event twice`);
    if (done.events) {
      const { received, distinct, bad } = done.events;
      if (distinct < answered200) failures.push(`LOST: ${answered200} requests were answered 200 but only ${distinct} distinct events came out`);
      if (distinct > sent) failures.push(`${distinct} distinct events came out of ${sent} requests sent`);
      if (bad > 0) failures.push(`${bad} of what came out is not a REFER CloudEvent (or its id does not match)`);
      if (server === "relay-stdout" && received !== distinct) failures.push(`${received - distinct} event lines on stdout repeat an id`);
    }
    if (done.exitCode !== 0) failures.push(`the server exited with status ${done.exitCode} after SIGTERM`);
    if (failures.length > 0 && done.logTail) failures.push(`server log (tail):\n${done.logTail.slice(done.logTail.indexOf("\n") + 1).trimEnd()}`);

    const windowS = measured.durationUs / 1e6;
    const measured200 = measured.requests - measured.non200;
    return {
      server,
      round,
      reqPerSec: measured200 / windowS,
      p50Ms: measured.latencyUs.p50 / 1000,
      p90Ms: measured.latencyUs.p90 / 1000,
      p99Ms: measured.latencyUs.p99 / 1000,
      maxMs: measured.latencyUs.max / 1000,
      peakRssMb: done.peakRssMb,
      anonRssMb: done.anonRssMb,
      cpuUsPerReq: measured.requests > 0 ? ((cpuAfter - cpuBefore) * 1e6) / measured.requests : Number.NaN,
      serverCpuPercent: (100 * (cpuAfter - cpuBefore)) / windowS,
      loadCpuPercent: loadAfter[1] > loadBefore[1] ? (100 * (loadAfter[0] - loadBefore[0])) / (loadAfter[1] - loadBefore[1]) : Number.NaN,
      answered200,
      sent,
      non200,
      socketErrors,
      ...(done.events ? { events: done.events } : {}),
      ...(deliveredDuringLoad === undefined ? {} : { deliveredDuringLoad }),
      ...(done.drainSeconds === undefined ? {} : { drainSeconds: done.drainSeconds }),
      relayWarnings: done.warnings,
      failures,
    };
  } catch (error) {
    killAll();
    throw error;
  }
}

// ---------------------------------------------------------------------------------------------
// Reporting

const median = (values: readonly number[]): number => {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

interface ServerSummary {
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

function summarize(results: readonly RunResult[]): ServerSummary[] {
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

function ratios(summaries: readonly ServerSummary[]): Record<string, number> {
  const rate = (name: ServerName) => summaries.find((s) => s.server === name)?.reqPerSec;
  const pairs: Array<[string, ServerName, ServerName]> = [
    ["relay-stdout/baseline", "relay-stdout", "baseline"],
    ["relay-spooled/baseline", "relay-spooled", "baseline"],
    ["relay-stdout/peer", "relay-stdout", "peer"],
    ["relay-spooled/peer", "relay-spooled", "peer"],
    ["peer/baseline", "peer", "baseline"],
  ];
  const result: Record<string, number> = {};
  for (const [name, a, b] of pairs) {
    const x = rate(a);
    const y = rate(b);
    if (x !== undefined && y !== undefined) result[name] = x / y;
  }
  return result;
}

const f0 = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString("en") : "–");
const f1 = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : "–");
const f2 = (n: number): string => (Number.isFinite(n) ? n.toFixed(2) : "–");

function table(summaries: readonly ServerSummary[], results: readonly RunResult[]): string {
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
  const checks = servers.map((server) => {
    const runs = results.filter((r) => r.server === server);
    const answered = runs.reduce((n, r) => n + r.answered200, 0);
    const non200 = runs.reduce((n, r) => n + r.non200 + r.socketErrors, 0);
    const events = runs.every((r) => r.events) ? runs.reduce((n, r) => n + (r.events as EventsOut).distinct, 0) : undefined;
    const drain = runs.map((r) => r.drainSeconds).filter((d): d is number => d !== undefined);
    const during = runs.filter((r) => r.deliveredDuringLoad !== undefined);
    const failed = runs.some((r) => r.failures.length > 0);
    return (
      `  ${failed ? "FAIL" : "ok  "} ${server}: ${answered.toLocaleString("en")} answered 200, ${non200} not 200 or no answer` +
      (events === undefined ? "" : `, ${events.toLocaleString("en")} distinct events out`) +
      (during.length ? `; ${f0((100 * during.reduce((n, r) => n + (r.deliveredDuringLoad as number), 0)) / during.reduce((n, r) => n + r.answered200, 0))}% delivered before the load stopped, spool empty ${f1(median(drain))} s after (median)` : "") +
      (runs.some((r) => r.relayWarnings > 0) ? `; ${runs.reduce((n, r) => n + r.relayWarnings, 0)} warn/error log lines` : "")
    );
  });
  return `${lines.join("\n")}\n\ncorrectness (all rounds):\n${checks.join("\n")}\n`;
}

// ---------------------------------------------------------------------------------------------
// Modes

interface Setup {
  readonly program: RelayProgram;
  readonly verifyPerSec: number;
  readonly ceilingPerSec: number;
}

function header(setup: Setup): string {
  const model = osCpus()[0]?.model ?? "unknown CPU";
  const pin = pinned ? `servers on CPU ${serverCpus}, wrk (${Math.min(loadCpuCount, connections)} thread) + downstream + stdout reader on CPU ${loadCpus}` : "not pinned";
  return [
    `machine: ${cpuCount} CPUs (${model}), Linux; ${pin}`,
    `node ${nodeVersion} for baseline, peer and helpers; relay: ${setup.program.label}${options["relay-arg"].length ? ` ${options["relay-arg"].join(" ")}` : ""}` +
      (setup.program.kind === "source" ? " (from source, Node's type stripping adds ~17 MB to the relay's RSS)" : ""),
    `Ed25519 verify on one CPU here: ${f0(setup.verifyPerSec)}/s (${f0(1e6 / setup.verifyPerSec)} µs); hypervisor steal during the run: ${f1(stealPercent())}%`,
  ].join("\n");
}

function prepare(): Setup {
  ensureWrk();
  if (servers.includes("peer")) ensurePeer();
  const program = relayProgram();
  if (servers.some((s) => s.startsWith("relay-"))) {
    const version = spawnSync(program.command, [...program.args, "--version"], { encoding: "utf8", env: baseEnv });
    if (version.status !== 0) {
      say(`the relay does not run: ${program.command} ${program.args.join(" ")} --version: ${version.stderr || version.error?.message}`);
      process.exit(2);
    }
    say(`relay: ${program.label} → ${version.stdout.trim()}`);
  }
  const verifyPerSec = measureVerifyRate();
  return { program, verifyPerSec, ceilingPerSec: verifyPerSec * serverCpuCount * POOL_MARGIN };
}

async function benchMode(setup: Setup): Promise<boolean> {
  const results: RunResult[] = [];
  const poolSize = Math.ceil(setup.ceilingPerSec * (warmup + duration)) + 2 * connections + 1000;
  let pool: Pool | undefined;
  const started = performance.now();
  say(`${mode}: ${rounds} round(s) × ${servers.length} servers × (${warmup} s warm-up + ${duration} s measured), ${connections} connections`);
  for (let round = 1; round <= rounds; round++) {
    for (let i = 0; i < servers.length; i++) {
      const server = servers[(i + round - 1) % servers.length] as ServerName;
      // Fresh signatures when the pool would be older than the tolerance allows by the run's end.
      const runEnds = Date.now() / 1000 + warmup + duration + 15;
      if (pool === undefined || runEnds - pool.signedAt > POOL_MAX_AGE_S) {
        if (pool) removePool(pool);
        pool = await makePool(poolSize);
      }
      const result = await runOnce(server, round, pool, setup.program);
      results.push(result);
      say(
        `round ${round}/${rounds} ${server}: ${f0(result.reqPerSec)} req/s, p50 ${f2(result.p50Ms)} ms, p99 ${f2(result.p99Ms)} ms, ` +
          `peak RSS ${f1(result.peakRssMb)} MB (anon ${f1(result.anonRssMb)} MB), ${f0(result.cpuUsPerReq)} CPU µs/req, server CPU ${f0(result.serverCpuPercent)}%, load CPU ${f0(result.loadCpuPercent)}%` +
          (result.events ? `, ${result.events.distinct.toLocaleString("en")} events out for ${result.answered200.toLocaleString("en")} 200s` : "") +
          (result.failures.length ? `\n  FAILED: ${result.failures.join("\n  FAILED: ")}` : ""),
      );
    }
  }
  if (pool) removePool(pool);
  const elapsed = (performance.now() - started) / 1000;
  const summaries = summarize(results);
  const ratioValues = ratios(summaries);
  const ok = results.every((r) => r.failures.length === 0);
  const title =
    mode === "smoke"
      ? `Smoke run (${duration} s per server, 1 round): correctness only, the figures mean nothing`
      : `Medians of ${rounds} rounds, ${duration} s each (after ${warmup} s warm-up), ${connections} keep-alive connections`;
  out(
    `\n${title}\n${header(setup)}\n\n${table(summaries, results)}\n` +
      `ratios (req/s medians): ${Object.entries(ratioValues).map(([name, value]) => `${name} ${f2(value)}`).join(", ")}\n` +
      `${ok ? "all checks passed" : "CHECKS FAILED (see above)"}; ${elapsed.toFixed(0)} s in all\n`,
  );
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          mode,
          date: new Date().toISOString(),
          settings: { durationSeconds: duration, warmupSeconds: warmup, rounds, connections, serverCpus: pinned ? serverCpus : null, loadCpus: pinned ? loadCpus : null, relayArgs: options["relay-arg"] },
          machine: { cpus: cpuCount, model: osCpus()[0]?.model ?? null, node: nodeVersion, verifyPerSecPerCpu: Math.round(setup.verifyPerSec), stealPercent: Math.round(stealPercent() * 10) / 10 },
          relay: { kind: setup.program.kind, label: setup.program.label },
          servers: summaries,
          ratios: ratioValues,
          runs: results,
          ok,
          elapsedSeconds: Math.round(elapsed),
        },
        null,
        2,
      )}\n`,
    );
  }
  return ok;
}

async function profileMode(setup: Setup): Promise<boolean> {
  const server = servers[0] as ServerName;
  const dir = options["profile-dir"] ?? mkdtempSync(join(tmpdir(), "telnyx-relay-profile-"));
  mkdirSync(dir, { recursive: true });
  const name = `${server}-${Date.now()}.cpuprofile`;
  const pool = await makePool(Math.ceil(setup.ceilingPerSec * (warmup + duration)) + 2 * connections + 1000);
  say(`profile: ${server} from source under node --cpu-prof, ${warmup} s warm-up + ${duration} s of load`);
  const result = await runOnce(server, 1, pool, setup.program, ["--cpu-prof", "--cpu-prof-dir", dir, "--cpu-prof-name", name]);
  removePool(pool);
  const file = join(dir, name);
  if (!existsSync(file)) throw new Error(`no profile was written to ${file} (found: ${readdirSync(dir).join(", ")})`);
  const summary = summarizeProfile(JSON.parse(readFileSync(file, "utf8")) as Parameters<typeof summarizeProfile>[0], ROOT);
  out(
    `\nCPU profile of ${LABELS[server]} (${setup.program.label}) under load: ${f0(result.reqPerSec)} req/s while profiled, ` +
      `${f0(result.cpuUsPerReq)} CPU µs/req; ${result.failures.length ? `CHECKS FAILED: ${result.failures.join("; ")}` : "all checks passed"}\n` +
      `profile: ${file} (open it in Chrome DevTools → Performance, or https://www.speedscope.app)\n` +
      `(includes start-up, the sanity requests and the warm-up)\n\n${formatProfileSummary(summary, 20, result.answered200)}`,
  );
  if (options.json) process.stdout.write(`${JSON.stringify({ mode, file, run: result, profile: { ...summary, functions: summary.functions.slice(0, 100) } }, null, 2)}\n`);
  return result.failures.length === 0;
}

async function soakMode(setup: Setup): Promise<boolean> {
  // Fresh timestamps are needed every few minutes and wrk's Lua cannot sign: the load comes in
  // segments of up to 30 s, each with its own pool signed just before it (a pause of a few seconds
  // between segments, in which the relay idles). Pools after the first are sized from the rate seen.
  const segmentS = Math.min(30, soakDuration);
  const runDir = join(work, "soak");
  const running = await startRelay(setup.program, false, [], runDir);
  const samples: Array<{ seconds: number; rssMb: number; hwmMb: number }> = [];
  const started = performance.now();
  const sample = (): void => {
    samples.push({ seconds: Math.round((performance.now() - started) / 100) / 10, rssMb: memoryMb(running.pid, "VmRSS"), hwmMb: memoryMb(running.pid, "VmHWM") });
  };
  sample();
  const sampler = setInterval(sample, sampleInterval * 1000);
  let rate = setup.ceilingPerSec / POOL_MARGIN;
  let loadS = 0;
  let answered = 0;
  let sent = 0;
  let non200 = 0;
  let socketErrors = 0;
  let repeated = 0;
  let duplicates = 0;
  const segmentRates: number[] = [];
  const segmentCpu: Array<[number, number]> = [];
  const failures: string[] = [];
  say(`soak: relay-stdout for ${soakDuration} s of load in ${segmentS} s segments, RSS every ${sampleInterval} s`);
  while (loadS < soakDuration) {
    // The first segment is short: its pool is sized from the verify rate (an upper bound), later ones from the rate seen.
    const segment = Math.min(loadS === 0 ? 10 : segmentS, soakDuration - loadS);
    const pool = await makePool(Math.ceil(rate * 1.5 * segment) + 2 * connections + 1000);
    const serverBefore = cpuSeconds(running.pid);
    const loadBefore = cpuBusyJiffies(loadCpuIndices);
    const result = await runWrk(running.port, pool, 0, segment);
    const serverCpu = (100 * (cpuSeconds(running.pid) - serverBefore)) / (result.durationUs / 1e6);
    const loadAfter = cpuBusyJiffies(loadCpuIndices);
    const loadCpu = loadAfter[1] > loadBefore[1] ? (100 * (loadAfter[0] - loadBefore[0])) / (loadAfter[1] - loadBefore[1]) : Number.NaN;
    removePool(pool);
    loadS += segment;
    answered += result.requests - result.non200;
    sent += result.sent;
    non200 += result.non200;
    socketErrors += result.errors.connect + result.errors.read + result.errors.write + result.errors.timeout;
    repeated += result.wraps;
    duplicates += result.duplicates;
    rate = Math.max(rate * 0.5, (result.requests / result.durationUs) * 1e6);
    segmentRates.push((result.requests / result.durationUs) * 1e6);
    segmentCpu.push([serverCpu, loadCpu]);
    say(
      `soak: ${loadS}/${soakDuration} s, ${f0((result.requests / result.durationUs) * 1e6)} req/s, RSS ${f1(memoryMb(running.pid, "VmRSS"))} MB, ` +
        `server CPU ${f0(serverCpu)}%, load CPU ${f0(loadCpu)}%`,
    );
  }
  clearInterval(sampler);
  sample();
  const elapsedS = (performance.now() - started) / 1000;
  const done = await running.finish();
  const events = done.events as EventsOut;
  if (non200 > 0) failures.push(`${non200} answers were not 200`);
  if (socketErrors > 0) failures.push(`${socketErrors} socket errors or timeouts`);
  if (events.distinct < answered - duplicates) failures.push(`LOST: ${answered - duplicates} new events answered 200 but ${events.distinct} came out`);
  if (events.bad > 0) failures.push(`${events.bad} stdout lines are not REFER CloudEvents`);
  if (done.exitCode !== 0) failures.push(`the relay exited with status ${done.exitCode} after SIGTERM`);

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
  const half = samples.filter((s) => s.seconds >= elapsedS / 2);
  const slope = slopePerMinute(half.map((s) => [s.seconds, s.rssMb] as const));
  const peak = Math.max(...samples.map((s) => s.hwmMb));
  const ok = failures.length === 0;
  out(
    `\nSoak: telnyx-relay, stdout → pipe (${setup.program.label}), ${soakDuration} s of load (${elapsedS.toFixed(0)} s with signing pauses), ` +
      `${connections} connections, ${f0((answered / loadS) | 0)} req/s on average\n${header(setup)}\n\n` +
      `RSS MB every ${sampleInterval} s: ${samples.map((s) => f0(s.rssMb)).join(" ")}\n` +
      `req/s per segment: ${segmentRates.map(f0).join(" ")}\n` +
      `server CPU % per segment: ${segmentCpu.map(([server]) => f0(server)).join(" ")}; load CPU %: ${segmentCpu.map(([, load]) => f0(load)).join(" ")}\n` +
      `RSS once settled (median, ${f0(settleAt)}–${f0(settleAt + elapsedS / 5)} s) ${f1(settled)} MB, over the last 20% ${f1(end)} MB (${growth >= 0 ? "+" : ""}${f1(growth)} MB), ` +
      `highest ${f1(highest)} MB; slope over the second half ${f2(slope)} MB/min; peak (VmHWM) ${f1(peak)} MB\n` +
      `RSS ${flat ? "stays FLAT" : "GROWS"} (flat: the last 20% within max(10 MB, 10%) of the settled median)\n` +
      `correctness: ${answered.toLocaleString("en")} answered 200, ${events.distinct.toLocaleString("en")} distinct events out, ${non200 + socketErrors} not 200 or no answer` +
      (repeated > 0 ? `; ${repeated} requests repeated an event (pool ran out; ${duplicates} answered "duplicate")` : "") +
      `\n${ok ? "all checks passed" : `CHECKS FAILED: ${failures.join("; ")}`}\n`,
  );
  if (options.json) {
    process.stdout.write(
      `${JSON.stringify({ mode, settings: { soakSeconds: soakDuration, sampleIntervalSeconds: sampleInterval, connections }, relay: setup.program, samples, rss: { settledMb: settled, settledAtSeconds: settleAt, highestMb: highest, endMb: end, growthMb: growth, slopeMbPerMin: slope, peakMb: peak }, segmentReqPerSec: segmentRates, flat, answered200: answered, sent, events, failures, ok }, null, 2)}\n`,
    );
  }
  return ok;
}

/** Least-squares slope of (seconds, MB) points, in MB per minute. */
function slopePerMinute(points: ReadonlyArray<readonly [number, number]>): number {
  if (points.length < 2) return Number.NaN;
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? Number.NaN : (sxy / sxx) * 60;
}

// ---------------------------------------------------------------------------------------------

let ok = false;
try {
  const setup = prepare();
  ok = mode === "soak" ? await soakMode(setup) : mode === "profile" ? await profileMode(setup) : await benchMode(setup);
} catch (error) {
  say(`failed: ${(error as Error).stack ?? String(error)}`);
} finally {
  killAll();
  if (options.keep) say(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
// Everything is written (stdout and stderr are synchronous for files and pipes on Linux): exit now,
// whatever handle a failed run may have left open.
process.exit(ok ? 0 : 1);
