// npm run bench: telnyx-relay's throughput, latency and memory against the ceiling, against what a
// user would write instead, and under redeliveries, measured in one run on the same machine. What
// each server is, what is checked and how the figures are computed: docs/performance.md.
//
//   npm run bench                                  3 rounds × 10 s per server, table on stdout
//   npm run bench -- --smoke                       a few seconds, one round: correctness only (CI)
//   npm run bench -- --help                        every option
//
// The modules are in scripts/bench/: options, setup (context, CPUs, programs), machine (/proc
// readers), processes, pool (keys, signed requests), servers, wrk, run (one run and its checks),
// report, modes (table, profile) and soak.
import { rmSync } from "node:fs";
import process from "node:process";
import { benchMode, prepare, profileMode } from "./bench/modes.ts";
import { parseBenchOptions, USAGE, UsageError, type BenchOptions } from "./bench/options.ts";
import { createContext, type BenchContext } from "./bench/setup.ts";
import { soakMode } from "./bench/soak.ts";

const argv = process.argv.slice(2);
if (argv.includes("--help") || argv.includes("-h")) {
  process.stdout.write(USAGE);
  process.exit(0);
}
let options: BenchOptions;
try {
  options = parseBenchOptions(argv);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  process.stderr.write(`bench: ${error.message}\n${USAGE}`);
  process.exit(2);
}
if (options.mode === "bench" && options.rounds < 3) process.stderr.write("bench: fewer than 3 rounds: the medians are weak\n");

const bench: BenchContext = createContext(options);
const cleanUp = (): void => {
  bench.children.killAll();
  if (options.keep) bench.say(`kept ${bench.work}`);
  else rmSync(bench.work, { recursive: true, force: true });
};
process.once("SIGINT", () => {
  cleanUp();
  process.exit(130);
});

let status = 1;
try {
  const setup = prepare(bench);
  if (setup === undefined) status = 2;
  else {
    const mode = options.mode === "soak" ? soakMode : options.mode === "profile" ? profileMode : benchMode;
    status = (await mode(bench, setup)) ? 0 : 1;
  }
} catch (error) {
  if (error instanceof UsageError) {
    bench.say(`${error.message}\n${USAGE}`);
    status = 2;
  } else bench.say(`failed: ${(error as Error).stack ?? String(error)}`);
} finally {
  cleanUp();
}
// Everything is written (stdout and stderr are synchronous for files and pipes on Linux): exit now,
// whatever handle a failed run may have left open.
process.exit(status);
