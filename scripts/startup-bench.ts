// npm run bench:startup: how long the single executable takes from process start to its first
// `200` on /healthz, against a bare Node 24 node:http server started and polled the same way, in the
// same run (the machines are noisy: the ratio is the figure to compare, not the milliseconds).
//
//   npm run bench:startup                         dist/telnyx-relay vs bare node:http (and node src/main.ts)
//   npm run bench:startup -- --runs 40 --bin a --bin b --max-ratio 1.3
//
// Each round starts every program once, in turn, after one unmeasured warm-up round (the first
// start of a 100 MB binary also reads it from disk). Prints a Markdown table of medians.
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { get } from "node:http";
import { createServer } from "node:net";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { createRequire } from "node:module";
import process from "node:process";
import { parseArgs } from "node:util";

const ROOT = join(import.meta.dirname, "..");
const { values: options } = parseArgs({
  options: {
    runs: { type: "string", default: "25" },
    bin: { type: "string", multiple: true, default: [join(ROOT, "dist", "telnyx-relay")] },
    "max-ratio": { type: "string" },
    source: { type: "boolean", default: true },
  },
  allowNegative: true,
  strict: true,
});
const runs = Number(options.runs);
if (!Number.isInteger(runs) || runs < 1) throw new RangeError(`--runs: "${options.runs}" is not a positive integer`);

// The pinned Node 24 (the `node` dev dependency), whatever `node` is on PATH.
const node = realpathSync(join(dirname(createRequire(import.meta.url).resolve("node/package.json")), "bin", "node"));
const dir = mkdtempSync(join(tmpdir(), "telnyx-relay-bench-"));
const bareServer = join(dir, "bare-server.cjs");
writeFileSync(
  bareServer,
  `require("node:http").createServer((req, res) => { res.writeHead(200, { "content-type": "application/json" }); res.end('{"status":"ok"}\\n'); })` +
    `.listen(Number(process.argv[2]), "127.0.0.1");\n`,
);
const portalKey = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");
const relayArgs = (port: number): string[] => ["--host", "127.0.0.1", "--port", String(port), "--public-key", portalKey, "--dead-letter-file", join(dir, "dead.jsonl")];

/** A program to start: its label and how to start it listening on `port`. */
interface Candidate {
  readonly label: string;
  readonly command: string;
  readonly args: (port: number) => string[];
  readonly times: number[];
}

const baseline: Candidate = { label: `bare node:http server (node ${process.version})`, command: node, args: (port) => [bareServer, String(port)], times: [] };
const binaries: Candidate[] = options.bin.map((bin) => ({ label: relative(ROOT, bin) || bin, command: bin, args: relayArgs, times: [] }));
const candidates: Candidate[] = [baseline, ...binaries];
if (options.source) candidates.push({ label: "node src/main.ts (from source)", command: node, args: (port) => [join(ROOT, "src", "main.ts"), ...relayArgs(port)], times: [] });

/** A port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, "close");
  return port;
}

/** GET /healthz once: the status, or 0 when the connection fails (nothing listening yet). */
function healthStatus(port: number): Promise<number> {
  return new Promise((resolve) => {
    const request = get({ host: "127.0.0.1", port, path: "/healthz", agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("error", () => resolve(0));
  });
}

/** Starts the candidate once and returns the milliseconds from spawn() to its first 200 on /healthz. */
async function startOnce(candidate: Candidate): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const child = spawn(candidate.command, candidate.args(port), { env: {}, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = once(child, "exit");
  let gone = false;
  void exited.then(() => (gone = true));
  try {
    for (;;) {
      if ((await healthStatus(port)) === 200) return performance.now() - started;
      if (gone) throw new Error(`${candidate.label} exited before answering /healthz: ${stderr}`);
      if (performance.now() - started > 10_000) throw new Error(`${candidate.label} did not answer /healthz within 10 s`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  } finally {
    if (!gone) child.kill("SIGTERM");
    await exited;
  }
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

try {
  for (const candidate of candidates) await startOnce(candidate); // warm-up, not counted
  for (let round = 0; round < runs; round++) {
    for (const candidate of candidates) candidate.times.push(await startOnce(candidate));
  }

  const base = median(baseline.times);
  const ms = (value: number): string => value.toFixed(1);
  const lines = [
    `Start-up: process start → first 200 on /healthz, median of ${runs} starts each (${availableParallelism()} CPUs, same run)`,
    "",
    "| program | size | median ms | min ms | max ms | × bare node:http |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
    ...candidates.map((candidate) => {
      const size = candidate.command === node ? "(node)" : `${(statSync(candidate.command).size / 2 ** 20).toFixed(1)} MiB`;
      const m = median(candidate.times);
      return `| ${candidate.label} | ${size} | ${ms(m)} | ${ms(Math.min(...candidate.times))} | ${ms(Math.max(...candidate.times))} | ${(m / base).toFixed(2)} |`;
    }),
    "",
  ];
  process.stdout.write(lines.join("\n"));
  const ratio = median((binaries[0] as Candidate).times) / base;
  process.stdout.write(`ratio ${(binaries[0] as Candidate).label} / bare node:http: ${ratio.toFixed(2)}\n`);
  if (options["max-ratio"] !== undefined && ratio > Number(options["max-ratio"])) {
    process.stderr.write(`startup-bench: the ratio ${ratio.toFixed(2)} is over --max-ratio ${options["max-ratio"]}\n`);
    process.exitCode = 1;
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
