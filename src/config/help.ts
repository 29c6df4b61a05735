// The `--help` text, made from the option table so it cannot drift from what is parsed: options
// under their group's heading, every line within 80 columns, a few examples at the end.
import { OPTION_GROUPS, OPTION_NAMES, OPTIONS, type OptionName } from "./options.ts";

/** The widest line of the help text. */
export const HELP_WIDTH = 80;
// Where the description column starts; a longer flag puts its description on the next line.
const INDENT = 32;

/**
 * Wraps text on spaces into lines of at most `width` characters (a longer word gets a line of its own).
 *
 * @param text The text.
 * @param width The widest line.
 * @returns The lines.
 * @example
 * ```ts
 * wrapWords("a bb ccc", 4); // ["a bb", "ccc"]
 * ```
 */
export function wrapWords(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((part) => part !== "")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(line);
  return lines;
}

function optionLines(name: OptionName): string[] {
  const spec = OPTIONS[name];
  const label = `  --${name} ${spec.value}`;
  const width = HELP_WIDTH - INDENT;
  const fallback = spec.default === undefined ? `default: none${spec.unset === "" ? "" : ` (${spec.unset})`}` : `default: ${spec.default}`;
  const meta = `env: ${spec.env}, ${fallback}`;
  const body = [...wrapWords(spec.help, width), ...(meta.length <= width ? [meta] : [`env: ${spec.env}`, fallback])];
  const pad = " ".repeat(INDENT);
  if (label.length >= INDENT) return [label, ...body.map((line) => pad + line)];
  return [label.padEnd(INDENT) + body[0], ...body.slice(1).map((line) => pad + line)];
}

function paragraph(text: string, indent = ""): string[] {
  return wrapWords(text, HELP_WIDTH - indent.length).map((line) => indent + line);
}

/**
 * The `--help` text.
 *
 * @param version The version to show in the first line.
 * @returns The text, ending with a newline; no line is wider than {@link HELP_WIDTH}.
 * @example
 * ```ts
 * process.stdout.write(helpText("0.1.0"));
 * ```
 */
export function helpText(version: string): string {
  const groups = (Object.keys(OPTION_GROUPS) as Array<keyof typeof OPTION_GROUPS>).flatMap((group) => [
    "",
    `${OPTION_GROUPS[group]}:`,
    ...OPTION_NAMES.filter((name) => OPTIONS[name].group === group).flatMap(optionLines),
  ]);
  const command = (usage: string, text: string): string[] => {
    const [first = "", ...rest] = wrapWords(text, HELP_WIDTH - INDENT);
    return [`${usage.padEnd(INDENT)}${first}`, ...rest.map((line) => " ".repeat(INDENT) + line)];
  };
  return [
    ...paragraph(
      `telnyx-relay ${version}: receives Telnyx webhooks, verifies their Ed25519 signatures, and hands each valid event (every TeXML callback and JSON webhook) on as one CloudEvents JSON line: to stdout, an HTTP downstream or NATS JetStream.`,
    ),
    "",
    "Usage:",
    "  telnyx-relay --public-key KEY [options]",
    ...command("  telnyx-relay healthcheck", `GET /healthz of the relay on this machine (${OPTIONS.port.env}, ${OPTIONS.host.env}); exit 0 if it answers 200, else 1`),
    "  telnyx-relay keygen [--out DIR]",
    ...command("", "Make an Ed25519 test key pair: prints the public key as the portal shows it, writes the private key (PEM, 0600)."),
    "  telnyx-relay send TYPE --to URL --private-key FILE",
    "      [--set NAME=VALUE ...] [--body FILE]",
    ...command("", "Sign an example of TYPE (or a body) as Telnyx does, POST it, print the answer. send --list lists the types."),
    "  telnyx-relay replay DEAD-LETTER-FILE (--check | --to URL",
    "      [--private-key FILE])",
    ...command("", "Re-check dead letters (signature with the configured keys, age ignored; validity with this build); with --to, POST the now-valid ones."),
    ...command("  telnyx-relay help", "Show this help (also -h, --help)."),
    ...command("  telnyx-relay -V, --version", "Show the version."),
    "",
    ...paragraph(
      "Every option is a flag and an environment variable; a flag wins over its variable. An option that takes a value takes the next argument, whatever it starts with, or the text after '=' (--port=8080).",
    ),
    ...groups,
    "",
    ...paragraph("DURATION: a number with ms, s, m or h (a bare number is seconds). SIZE: bytes, or with KiB, MiB or GiB."),
    ...paragraph(
      "Exit status: 0 after SIGTERM/SIGINT, 1 when the relay fails while running (e.g. stdout closed), 2 for a bad option or key or an address it cannot listen on. Logs are JSON lines on stderr; stdout carries events only.",
    ),
    "",
    "Examples:",
    "  telnyx-relay --public-key \"$(cat telnyx.pem)\" --port 8080",
    "  TELNYX_PUBLIC_KEY=... telnyx-relay --forward-url http://127.0.0.1:3000/events",
    "  telnyx-relay --public-key-file /run/secrets/telnyx \\",
    "    --forward-url https://app.example.com/hooks --spool-dir /var/lib/telnyx",
    "  TELNYX_PUBLIC_KEY=... telnyx-relay --nats-url nats://n1:4222,nats://n2:4222",
    "  TELNYX_RELAY_PORT=8080 telnyx-relay healthcheck",
    "  telnyx-relay keygen",
    "",
  ].join("\n");
}
