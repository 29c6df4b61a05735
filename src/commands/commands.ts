// The subcommands beside running the relay: each takes its arguments and the I/O, and returns an
// exit status. src/main.ts runs the one named by the first argument.
import type { CommandIo } from "./command-io.ts";
import { keygen } from "./keygen.ts";
import { replay } from "./replay.ts";
import { send } from "./send.ts";

/** The subcommands, by name. */
export const COMMANDS: Readonly<Record<string, (args: readonly string[], io: CommandIo) => Promise<number>>> = { keygen, send, replay };

/**
 * The subcommand an argument list names, if any.
 *
 * @param argv The arguments (without `node` and the script).
 * @returns The command's function, or undefined (the relay itself, help, version, healthcheck).
 * @example
 * ```ts
 * const command = subcommand(["keygen", "--out", "/tmp"]); // keygen
 * ```
 */
export function subcommand(argv: readonly string[]): ((args: readonly string[], io: CommandIo) => Promise<number>) | undefined {
  const name = argv[0];
  return name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}
