// The command line → what to do: run (with each option's raw values), help, version, healthcheck,
// or a usage error.
import { parseArgv, type ArgvSpec } from "./argv.ts";
import { OPTION_NAMES, OPTIONS, type OptionName } from "./options.ts";

/** What the command line asks for. Option values are the raw strings, each option's in order. */
export type Command =
  | { readonly command: "help" }
  | { readonly command: "version" }
  | { readonly command: "healthcheck" }
  | { readonly command: "run"; readonly flags: ReadonlyMap<OptionName, readonly string[]> }
  | { readonly command: "usage-error"; readonly message: string };

const ARGV_SPEC: ArgvSpec = {
  valued: new Set(OPTION_NAMES),
  switches: new Map([
    ["help", "h"],
    ["version", "V"],
  ]),
};

/**
 * Parses the command line (without `node` and the script).
 *
 * @param argv The arguments.
 * @returns What to do; `usage-error` with a one-line message for unknown options, a missing value
 *   or a positional argument (`help` and `healthcheck` are commands, given alone).
 * @example
 * ```ts
 * parseCli(["--port", "0", "--public-key", key]); // { command: "run", flags: Map { "port" => ["0"], … } }
 * ```
 */
export function parseCli(argv: readonly string[]): Command {
  if (argv[0] === "healthcheck") {
    if (argv.length === 1) return { command: "healthcheck" };
    return { command: "usage-error", message: `healthcheck takes no arguments: it reads ${OPTIONS.port.env} and ${OPTIONS.host.env}` };
  }
  if (argv[0] === "help") {
    if (argv.length === 1) return { command: "help" };
    return { command: "usage-error", message: "help takes no arguments" };
  }
  const parsed = parseArgv(argv, ARGV_SPEC);
  if (!parsed.ok) return { command: "usage-error", message: parsed.message };
  if (parsed.argv.switches.has("help")) return { command: "help" };
  if (parsed.argv.switches.has("version")) return { command: "version" };
  const flags = new Map<OptionName, readonly string[]>();
  // In table order, whatever the order on the command line.
  for (const name of OPTION_NAMES) {
    const values = parsed.argv.values.get(name);
    if (values !== undefined) flags.set(name, values);
  }
  return { command: "run", flags };
}
