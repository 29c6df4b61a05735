// The arguments of a subcommand (`send`, `replay`, `keygen`): getopt-like options as the relay's
// own (src/config/argv.ts), plus positional arguments anywhere among them.
import { parseArgv, type ArgvResult, type ArgvSpec, type ParsedArgv } from "../config/argv.ts";

/** Options and positional arguments of a subcommand, or the first problem as one line. */
export type CommandArgs =
  | { readonly ok: true; readonly argv: ParsedArgv; readonly positionals: readonly string[] }
  | { readonly ok: false; readonly message: string };

/**
 * Parses a subcommand's arguments: what does not start with `-` (and is not an option's value) is
 * positional; after `--`, everything is.
 *
 * @param args The arguments after the subcommand's name.
 * @param spec Its valued options and switches.
 * @returns The options and the positionals, or a one-line message.
 * @example
 * ```ts
 * parseCommandArgs(["refer", "--to", "http://127.0.0.1:8080/"], { valued: new Set(["to"]), switches: new Map() });
 * // { ok: true, argv: { values: Map { "to" => [...] }, switches: Set {} }, positionals: ["refer"] }
 * ```
 */
export function parseCommandArgs(args: readonly string[], spec: ArgvSpec): CommandArgs {
  const options: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === "--") {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    options.push(arg);
    // A valued option without '=' takes the next argument, whatever it starts with.
    if (arg.startsWith("--") && !arg.includes("=") && spec.valued.has(arg.slice(2)) && i + 1 < args.length) options.push(args[++i] as string);
  }
  const parsed: ArgvResult = parseArgv(options, spec);
  return parsed.ok ? { ok: true, argv: parsed.argv, positionals } : parsed;
}

/**
 * The one value of an option given at most once.
 *
 * @param argv Parsed options.
 * @param name The option.
 * @returns Its value, undefined when absent; the last one when given twice.
 * @example
 * ```ts
 * single(parsed.argv, "to"); // "http://127.0.0.1:8080/webhooks/telnyx"
 * ```
 */
export function single(argv: ParsedArgv, name: string): string | undefined {
  return argv.values.get(name)?.at(-1);
}
