// The benchmark's command line (`npm run bench -- …`): the servers it knows, the usage text, and the
// parse into settings. Pure: a bad option is a thrown UsageError, which the entry reports (exit 2).
import { tmpdir } from "node:os";
import { parseArgs } from "node:util";

/** Every server the benchmark can run, in the default order. */
export const SERVER_NAMES = [
  "baseline",
  "relay-stdout",
  "relay-spooled",
  "relay-stdout-redeliver50",
  "relay-stdout-redeliver100",
  "relay-stdout-mixed",
  "relay-nats-r1",
  "relay-nats-r3",
  "peer",
] as const;

/** One of {@link SERVER_NAMES}. */
export type ServerName = (typeof SERVER_NAMES)[number];

/** The row label of each server in the report. */
export const LABELS: Readonly<Record<ServerName, string>> = {
  baseline: "baseline: node:http + crypto.verify",
  "relay-stdout": "telnyx-relay, stdout → pipe",
  "relay-spooled": "telnyx-relay, spooled → local downstream",
  "relay-stdout-redeliver50": "telnyx-relay, stdout, 50% redeliveries",
  "relay-stdout-redeliver100": "telnyx-relay, stdout, 100% redeliveries",
  "relay-stdout-mixed": "telnyx-relay, stdout, mixed: ½ JSON call.* (1.2 KB), ½ TeXML form",
  "relay-nats-r1": "telnyx-relay → NATS JetStream, R1 (1 server)",
  "relay-nats-r3": "telnyx-relay → NATS JetStream, R3 (3-node cluster)",
  peer: "peer: Express 5 + telnyx SDK",
};

/**
 * The share of a server's requests that are redeliveries of events it already accepted (re-signed
 * with a fresh timestamp, as Telnyx retries): 0 for every server but the redelivery rows.
 *
 * @param server A server name.
 * @returns 0, 50 or 100.
 * @example
 * ```ts
 * redeliverPercent("relay-stdout-redeliver50"); // 50
 * ```
 */
export function redeliverPercent(server: ServerName): 0 | 50 | 100 {
  return server === "relay-stdout-redeliver50" ? 50 : server === "relay-stdout-redeliver100" ? 100 : 0;
}

/** What the run does: the measured table, the CI smoke run, the RSS soak, or a CPU profile. */
export type Mode = "bench" | "smoke" | "soak" | "profile";

/** The parsed command line. */
export interface BenchOptions {
  readonly mode: Mode;
  readonly duration: number;
  readonly warmup: number;
  readonly rounds: number;
  readonly connections: number;
  readonly servers: readonly ServerName[];
  readonly json: boolean;
  readonly soakDuration: number;
  readonly sampleInterval: number;
  readonly profileDir: string | undefined;
  readonly relayBin: string | undefined;
  readonly fromSource: boolean;
  readonly relayArgs: readonly string[];
  readonly serverCpus: string;
  readonly loadCpus: string;
  readonly keep: boolean;
}

/** A command line the benchmark cannot run: the entry prints the message and the usage, exit 2. */
export class UsageError extends Error {}

/** The `--help` text. */
export const USAGE = `usage: node scripts/bench.ts [options]
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
                       names another relay row), then a summary of the profile
  --profile-dir DIR    where the .cpuprofile goes (default: a new directory under ${tmpdir()})
  --relay-bin PATH     the relay executable (default dist/telnyx-relay if built)
  --from-source        run node src/main.ts even if dist/telnyx-relay exists
  --relay-arg ARG      extra relay argument (repeatable), e.g. --relay-arg=--dedup-window=0
  --server-cpus LIST   taskset CPU list of the servers (default 0)
  --load-cpus LIST     taskset CPU list of wrk, the downstream and the stdout reader (default 1)
  --keep               keep the temporary directory (pools, spools, logs)
`;

/**
 * Parses the benchmark's arguments, with the defaults of each mode (`--help` is the entry's to see
 * first, so a bad value beside it cannot hide the usage).
 *
 * @param argv The arguments after the script name.
 * @returns The settings.
 * @throws {UsageError} For an unknown option, a bad value, or modes that do not go together.
 * @example
 * ```ts
 * const options = parseBenchOptions(["--smoke", "--only", "relay-stdout"]);
 * options.duration; // 2
 * ```
 */
export function parseBenchOptions(argv: readonly string[]): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
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
      },
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const o = parsed.values;
  if ([o.smoke, o.soak, o.profile].filter(Boolean).length > 1) throw new UsageError("--smoke, --soak and --profile are separate modes");
  const mode: Mode = o.smoke ? "smoke" : o.soak ? "soak" : o.profile ? "profile" : "bench";
  let servers: ServerName[];
  if (o.only !== undefined) {
    servers = o.only.split(",").map((name) => name.trim()) as ServerName[];
    for (const name of servers) if (!SERVER_NAMES.includes(name)) throw new UsageError(`--only: unknown server "${name}" (${SERVER_NAMES.join(", ")})`);
  } else if (mode === "soak" || mode === "profile") servers = ["relay-stdout"];
  else servers = [...SERVER_NAMES];
  if (mode === "soak" && (servers.length !== 1 || servers[0] !== "relay-stdout")) throw new UsageError("--soak runs relay-stdout only");
  if (mode === "profile" && (servers.length !== 1 || !servers[0]?.startsWith("relay-"))) {
    throw new UsageError("--profile runs one relay row: --only relay-stdout, relay-spooled, relay-stdout-redeliver50 or relay-stdout-redeliver100");
  }
  return {
    mode,
    duration: seconds("duration", o.duration ?? (mode === "smoke" ? "2" : "10"), 1),
    warmup: seconds("warmup", o.warmup ?? (mode === "smoke" ? "1" : "2"), 0),
    rounds: mode === "bench" ? integer("rounds", o.rounds ?? "3", 1) : 1,
    connections: integer("connections", o.connections, 1),
    servers,
    json: o.json,
    soakDuration: seconds("soak-duration", o["soak-duration"], 10),
    sampleInterval: seconds("sample-interval", o["sample-interval"], 1),
    profileDir: o["profile-dir"],
    relayBin: o["relay-bin"],
    fromSource: o["from-source"],
    relayArgs: o["relay-arg"],
    serverCpus: o["server-cpus"],
    loadCpus: o["load-cpus"],
    keep: o.keep,
  };
}

/** Whole seconds from "10", "10s", "5m". */
function seconds(name: string, text: string, min: number): number {
  const match = /^(\d+)(s|m)?$/.exec(text.trim());
  const value = match ? Number(match[1]) * (match[2] === "m" ? 60 : 1) : Number.NaN;
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name}: "${text}" is not a whole number of seconds ≥ ${min}`);
  return value;
}

function integer(name: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`--${name}: "${text}" is not an integer ≥ ${min}`);
  return value;
}
