// What a subcommand may do to the world, handed in by src/main.ts (tests of the pure parts need none).
import { Buffer } from "node:buffer";

/** The input and output a subcommand uses. */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Writes "telnyx-relay: MESSAGE (see --help)" to stderr; returns the usage-error status, 2. */
  readonly usage: (message: string) => number;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => Buffer;
  /** Creates a file that must not exist yet (throws EEXIST), with this mode; its directory is made if missing. */
  readonly writeNewFile: (path: string, text: string, mode: number) => Promise<void>;
  /** The clock, in milliseconds since the epoch. */
  readonly now: () => number;
}

/**
 * The real {@link CommandIo}: the process's streams, environment, files and clock.
 *
 * @param env The environment.
 * @returns The I/O.
 * @example
 * ```ts
 * const status = await keygen(args, processIo(process.env));
 * ```
 */
export async function processIo(env: Readonly<Record<string, string | undefined>>): Promise<CommandIo> {
  const { readFileSync } = await import("node:fs");
  const { mkdir, writeFile } = await import("node:fs/promises");
  const { dirname } = await import("node:path");
  const { default: process } = await import("node:process");
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    usage: (message) => {
      process.stderr.write(`telnyx-relay: ${message} (see --help)\n`);
      return 2;
    },
    env,
    readFile: (path) => Buffer.from(readFileSync(path)),
    writeNewFile: async (path, text, mode) => {
      // keygen --out DIR: a directory that does not exist yet is made (owner-only, like the key).
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await writeFile(path, text, { flag: "wx", mode });
    },
    now: Date.now,
  };
}
