import { parseArgs, type ParseArgsConfig } from "node:util";
import { OPTIONS } from "./options.ts";

/** What the command line asks for. Option values are the raw strings, each flag's in order. */
export type Command =
  | { readonly command: "help" }
  | { readonly command: "version" }
  | { readonly command: "healthcheck" }
  | { readonly command: "run"; readonly flags: ReadonlyMap<string, readonly string[]> }
  | { readonly command: "usage-error"; readonly message: string };

const PARSE_OPTIONS: NonNullable<ParseArgsConfig["options"]> = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
};
for (const spec of OPTIONS) PARSE_OPTIONS[spec.flag] = { type: "string", multiple: true };

/**
 * Parses the command line (without `node` and the script).
 *
 * @param argv The arguments.
 * @returns What to do; `usage-error` with a one-line message for unknown flags, missing values or
 *   positional arguments.
 * @example
 * ```ts
 * parseCli(["--port", "0", "--public-key", key]); // { command: "run", flags: Map { "port" => ["0"], … } }
 * ```
 */
export function parseCli(argv: readonly string[]): Command {
  if (argv[0] === "healthcheck") {
    if (argv.length === 1) return { command: "healthcheck" };
    return { command: "usage-error", message: "healthcheck takes no arguments: it reads TELNYX_RELAY_PORT and TELNYX_RELAY_HOST" };
  }
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: PARSE_OPTIONS, strict: true, allowPositionals: false });
  } catch (error) {
    // node:util's messages are clear ("Unknown option '--prot'"); keep only their first line.
    const message = String((error as Error).message).split("\n")[0] as string;
    // A PEM key starts with "-----", which parseArgs takes for a flag.
    const hint = message.includes("ambiguous") ? "; a value that starts with '-' must be given as --flag=value" : "";
    return { command: "usage-error", message: `${message}${hint}` };
  }
  if (parsed.values.help) return { command: "help" };
  if (parsed.values.version) return { command: "version" };
  const flags = new Map<string, readonly string[]>();
  for (const spec of OPTIONS) {
    const value = parsed.values[spec.flag];
    if (Array.isArray(value)) flags.set(spec.flag, value.map(String));
  }
  return { command: "run", flags };
}

/**
 * The `--help` text, made from the option table so it cannot drift from what is parsed.
 *
 * @param version The version to show in the first line.
 * @returns The text, ending with a newline.
 * @example
 * ```ts
 * process.stdout.write(helpText("0.1.0"));
 * ```
 */
export function helpText(version: string): string {
  const rows = OPTIONS.map((spec) => {
    const left = `  --${spec.flag} ${spec.value}`;
    const defaultText = spec.default === undefined ? "" : ` Default: ${spec.default}.`;
    return `${left.padEnd(36)}${spec.help}${defaultText}\n${" ".repeat(36)}env: ${spec.env}\n`;
  });
  return [
    `telnyx-relay ${version}: receives Telnyx webhooks, verifies their Ed25519 signatures, and writes`,
    "each valid TeXML REFER status callback to stdout as one CloudEvents JSON line.",
    "",
    "Usage: telnyx-relay --public-key KEY [options]",
    "       telnyx-relay healthcheck    GET /healthz of the relay on this machine (TELNYX_RELAY_PORT,",
    "                                   TELNYX_RELAY_HOST); exit 0 if it answers 200, else 1",
    "",
    "Options (a flag wins over its environment variable):",
    ...rows,
    `  ${"-h, --help".padEnd(34)}Show this help.`,
    `  ${"-V, --version".padEnd(34)}Show the version.`,
    "",
    "DURATION: a number with ms, s, m or h (a bare number is seconds). SIZE: bytes, or with KiB, MiB or GiB.",
    "Exit status: 0 after SIGTERM/SIGINT, 1 when the relay fails while running (e.g. stdout closed),",
    "2 for a bad option or key or an address it cannot listen on. Logs are JSON lines on stderr;",
    "stdout carries events only.",
    "",
  ].join("\n");
}
