// The benchmark's signing key, this machine's Ed25519 verify rate, and pools of signed requests for
// wrk (files written by make-pool.ts children, in parallel on every CPU, while no server runs).
import { spawn } from "node:child_process";
import { generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { once } from "node:events";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { distinctBody } from "./make-pool.ts";
import { BENCH, type BenchContext } from "./setup.ts";

/** The key pair requests are signed with. */
export interface Keys {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
  /** As Telnyx's portal shows it: base64 of the raw 32 bytes (the SPKI DER minus its 12-byte prefix). */
  readonly portalKey: string;
  /** The private key as PKCS#8 PEM in the work directory, for make-pool.ts. */
  readonly privateKeyFile: string;
}

/**
 * A fresh Ed25519 key pair, its private half written (mode 600) into the work directory.
 *
 * @param work The benchmark's temporary directory.
 * @returns The keys.
 * @example
 * ```ts
 * const keys = makeKeys(bench.work);
 * ```
 */
export function makeKeys(work: string): Keys {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const privateKeyFile = join(work, "signing-key.pem");
  writeFileSync(privateKeyFile, privateKey.export({ format: "pem", type: "pkcs8" }), { mode: 0o600 });
  return { publicKey, privateKey, portalKey: publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64"), privateKeyFile };
}

/**
 * Ed25519 verifies per second on one CPU of this machine (this script runs on a load CPU): the best
 * of several short batches, the least disturbed by neighbours. It sizes the pools, so an estimate
 * too low would make a pool run out (which fails the run), one too high only costs signing time.
 *
 * @param keys The key pair.
 * @returns Verifies per second.
 * @example
 * ```ts
 * measureVerifyRate(keys); // 17_500
 * ```
 */
export function measureVerifyRate(keys: Keys): number {
  const message = Buffer.from(`1700000000|${distinctBody("calibration")}`);
  const signature = sign(null, message, keys.privateKey);
  for (let i = 0; i < 200; i++) verify(null, message, keys.publicKey, signature);
  let best = 0;
  for (let batch = 0; batch < 8; batch++) {
    const n = 400;
    const started = performance.now();
    for (let i = 0; i < n; i++) verify(null, message, keys.publicKey, signature);
    best = Math.max(best, n / ((performance.now() - started) / 1000));
  }
  return best;
}

/** Signed requests for wrk: files of "<timestamp>\t<signature>\t<attempt>\t<body>" lines (make-pool.ts). */
export interface Pool {
  readonly files: readonly string[];
  readonly size: number;
  /** Unix seconds of the first deliveries' telnyx-timestamp. */
  readonly signedAt: number;
  /** The share of redeliveries after the prime entries (see poolEntry in make-pool.ts). */
  readonly percent: 0 | 50 | 100;
  /** Entries 0 … prime-1 are new events to send before the load (none when percent is 0). */
  readonly prime: number;
  /** Every other entry a JSON call.* webhook (~1.2 KB), the others TeXML form callbacks (see make-pool.ts). */
  readonly mixed: boolean;
}

/** How many events a redelivery pool starts with, sent before the load (by {@link primeEntries}). */
export const PRIME_EVENTS = 2000;

let poolCounter = 0;

/**
 * Signs a pool with one fresh timestamp, in parallel on every CPU (run it while no server runs).
 *
 * @param bench The context.
 * @param keys The signing key.
 * @param size How many entries for wrk (a redelivery pool has its prime entries besides).
 * @param percent The share of redeliveries (0: every entry a distinct event).
 * @param mixed Every other entry a JSON call.* webhook instead of a form callback.
 * @returns The pool.
 * @example
 * ```ts
 * const pool = await makePool(bench, keys, 100_000, 0);
 * ```
 */
export async function makePool(bench: BenchContext, keys: Keys, size: number, percent: 0 | 50 | 100, mixed = false): Promise<Pool> {
  const tag = `p${poolCounter++}x`;
  const prime = percent === 0 ? 0 : PRIME_EVENTS;
  const signedAt = Math.floor(Date.now() / 1000);
  const { cpuCount } = bench.place;
  // The prime entries in a file of their own (the first), for primeEntries to read.
  const ranges: Array<[number, number]> = prime > 0 ? [[0, prime]] : [];
  const parts = Math.min(cpuCount, Math.max(1, Math.ceil(size / 10_000)));
  const per = Math.ceil(size / parts);
  for (let from = prime; from < prime + size; from += per) ranges.push([from, Math.min(prime + size, from + per)]);
  const started = performance.now();
  const files = await Promise.all(
    ranges.map(async ([from, to], i) => {
      const file = join(bench.work, `pool-${tag}-${i}.txt`);
      const args = [join(BENCH, "make-pool.ts"), keys.privateKeyFile, tag, String(from), String(to), String(signedAt), file, String(percent), String(prime), mixed ? "mixed" : "form"];
      const [command, argv] = bench.place.onCpus(String(i % cpuCount), bench.node, args);
      const child = bench.children.track(spawn(command, argv, { stdio: ["ignore", "ignore", "inherit"] }));
      const [code] = (await once(child, "exit")) as [number | null];
      if (code !== 0) throw new Error(`make-pool.ts exited with ${code}`);
      return file;
    }),
  );
  const total = prime + size;
  const what = (percent === 0 ? "distinct requests" : `requests (${prime.toLocaleString("en")} events, then ${percent}% redeliveries)`) + (mixed ? ", half JSON call.* webhooks" : "");
  bench.say(`signed ${total.toLocaleString("en")} ${what} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { files, size: total, signedAt, percent, prime, mixed };
}

/**
 * Deletes a pool's files.
 *
 * @param pool The pool.
 * @example
 * ```ts
 * removePool(pool);
 * ```
 */
export function removePool(pool: Pool): void {
  for (const file of pool.files) rmSync(file, { force: true });
}

/**
 * The pool's prime entries as requests: the headers and body of each.
 *
 * @param pool The pool.
 * @returns `pool.prime` requests, in order.
 * @example
 * ```ts
 * for (const { headers, body } of primeEntries(pool)) await post(port, headers, body);
 * ```
 */
export function primeEntries(pool: Pool): Array<{ headers: Record<string, string>; body: string }> {
  const entries: Array<{ headers: Record<string, string>; body: string }> = [];
  if (pool.prime === 0) return entries;
  for (const line of readFileSync(pool.files[0] as string, "utf8").split("\n")) {
    if (line === "") continue;
    const [timestamp, signature, , body] = line.split("\t") as [string, string, string, string];
    entries.push({ headers: { "telnyx-timestamp": timestamp, "telnyx-signature-ed25519": signature }, body });
  }
  if (entries.length !== pool.prime) throw new Error(`the pool's first file has ${entries.length} entries, not its ${pool.prime} prime entries`);
  return entries;
}
