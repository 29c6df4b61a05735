// The load: wrk with scripts/bench/requests.lua walking through a pool of signed requests, pinned
// to the load CPUs; its one BENCH-RESULT line parsed.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { join } from "node:path";
import type { Pool } from "./pool.ts";
import { WEBHOOK_PATH } from "./processes.ts";
import { BENCH, type BenchContext } from "./setup.ts";

/** What requests.lua reports for one wrk run. */
export interface WrkResult {
  /** Answers received (wrk's count). */
  readonly requests: number;
  readonly durationUs: number;
  /** Requests sent. */
  readonly sent: number;
  /** Requests sent that were redeliveries (pool entries with attempt > 0). */
  readonly redelivered: number;
  /** The first pool index a following run may use. */
  readonly next: number;
  readonly poolSize: number;
  /** Requests sent past the pool's end (which repeat an entry). */
  readonly wraps: number;
  readonly non200: number;
  /** 200 answers whose body says "duplicate". */
  readonly duplicates: number;
  /** "[status]count;" for each status other than 200. */
  readonly statuses: string;
  readonly errors: { readonly connect: number; readonly read: number; readonly write: number; readonly status: number; readonly timeout: number };
  readonly latencyUs: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number; readonly mean: number };
}

/**
 * Runs wrk against a server for a while.
 *
 * @param bench The context (connections, CPUs).
 * @param port The server's port on 127.0.0.1.
 * @param pool The signed requests.
 * @param first The pool index to start at.
 * @param durationS Seconds of load.
 * @returns What wrk saw; rejects if wrk fails.
 * @example
 * ```ts
 * const measured = await runWrk(bench, port, pool, warm.next, 10);
 * ```
 */
export async function runWrk(bench: BenchContext, port: number, pool: Pool, first: number, durationS: number): Promise<WrkResult> {
  const { connections } = bench.options;
  const threads = Math.max(1, Math.min(bench.place.loadCpuCount, connections));
  const [command, args] = bench.place.onCpus(bench.place.loadCpus, "wrk", [
    "-t", String(threads), "-c", String(connections), "-d", `${durationS}s`, "--timeout", "10s",
    "-s", join(BENCH, "requests.lua"), `http://127.0.0.1:${port}${WEBHOOK_PATH}`, "--", pool.files.join(","), String(first), WEBHOOK_PATH,
  ]);
  const child = bench.children.track(spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] }));
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "exit")) as [number | null];
  const line = stdout.split("\n").find((text) => text.startsWith("BENCH-RESULT "));
  if (code !== 0 || line === undefined) throw new Error(`wrk failed (exit ${code}):\n${stdout}${stderr}`);
  return JSON.parse(line.slice("BENCH-RESULT ".length)) as WrkResult;
}
