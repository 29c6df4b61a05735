// A small command-line parser, as getopt reads long options: an option that takes a value takes the
// next argument whatever it starts with (`--public-key "$(cat key.pem)"`, `--port -1`), or the text
// after `=`. node:util's parseArgs refuses a value that starts with "-", hence this.

/** What {@link parseArgv} accepts. */
export interface ArgvSpec {
  /** Long options that take a value (without their dashes). */
  readonly valued: ReadonlySet<string>;
  /** Long switches, without a value (without their dashes), each with its one-letter alias or undefined. */
  readonly switches: ReadonlyMap<string, string | undefined>;
}

/** The options found: each valued option's values in order, and the switches given. */
export interface ParsedArgv {
  readonly values: ReadonlyMap<string, readonly string[]>;
  readonly switches: ReadonlySet<string>;
}

/** The outcome of {@link parseArgv}: the options, or the first problem as one line. */
export type ArgvResult = { readonly ok: true; readonly argv: ParsedArgv } | { readonly ok: false; readonly message: string };

/**
 * Parses command-line arguments (without `node` and the script) against `spec`. Pure.
 *
 * `--name VALUE` and `--name=VALUE` for valued options; `--switch` or `-s` for switches. No
 * positional arguments: any is an error, as are an unknown option, a value for a switch and a
 * valued option at the end with nothing after it.
 *
 * @param args The arguments.
 * @param spec The valued options and switches.
 * @returns The options, or a one-line message naming the offending argument.
 * @example
 * ```ts
 * parseArgv(["--port", "-1"], { valued: new Set(["port"]), switches: new Map() });
 * // { ok: true, argv: { values: Map { "port" => ["-1"] }, switches: Set {} } }
 * ```
 */
export function parseArgv(args: readonly string[], spec: ArgvSpec): ArgvResult {
  const values = new Map<string, string[]>();
  const switches = new Set<string>();
  const shorts = new Map<string, string>();
  for (const [name, short] of spec.switches) if (short !== undefined) shorts.set(`-${short}`, name);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith("--")) {
      const name = shorts.get(arg);
      if (name !== undefined) switches.add(name);
      else if (arg.startsWith("-") && arg !== "-") return { ok: false, message: `Unknown option '${arg}'` };
      else return { ok: false, message: `Unexpected argument '${arg}': options only` };
      continue;
    }
    const equals = arg.indexOf("=");
    const name = arg.slice(2, equals === -1 ? undefined : equals);
    if (spec.switches.has(name)) {
      if (equals !== -1) return { ok: false, message: `Option '--${name}' does not take a value` };
      switches.add(name);
      continue;
    }
    if (!spec.valued.has(name)) return { ok: false, message: `Unknown option '--${name}'` };
    let value: string;
    if (equals !== -1) value = arg.slice(equals + 1);
    else if (i + 1 < args.length) value = args[++i] as string;
    else return { ok: false, message: `Option '--${name}' needs a value` };
    const list = values.get(name);
    if (list === undefined) values.set(name, [value]);
    else list.push(value);
  }
  return { ok: true, argv: { values, switches } };
}
