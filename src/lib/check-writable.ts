import { accessSync, closeSync, constants, openSync, statSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Checks at start-up that a file can be appended to, without creating it: an existing file is
 * opened for writing; a missing one needs a writable directory. Under Deno, whose `access` needs
 * `--allow-sys=uid`, a missing file needs an existing directory (its permissions cannot be asked);
 * where even that cannot be asked (no read permission), the file is created, empty, as before.
 *
 * @param path The file.
 * @returns undefined when it can be written, else the reason (an errno code such as `ENOENT`).
 * @example
 * ```ts
 * const problem = checkWritable("telnyx-relay-dead-letter.jsonl"); // undefined
 * ```
 */
export function checkWritable(path: string): string | undefined {
  try {
    closeSync(openSync(path, "r+"));
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" && code !== undefined) return code;
    if (code === undefined) return create(path);
  }
  try {
    accessSync(dirname(path), constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === undefined ? directoryExists(path) : code === "ENOENT" ? "ENOENT (no such directory)" : code;
  }
}

function directoryExists(path: string): string | undefined {
  try {
    return statSync(dirname(path)).isDirectory() ? undefined : "ENOTDIR";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === undefined ? create(path) : code === "ENOENT" ? "ENOENT (no such directory)" : code;
  }
}

// A permission of the runtime (Deno) forbids asking: create the file, as before.
function create(path: string): string | undefined {
  try {
    closeSync(openSync(path, "a", 0o600));
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).name;
  }
}
