import { accessSync, closeSync, constants, openSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Checks at start-up that a file can be appended to, without creating it: an existing file is
 * opened for writing; a missing one needs a writable directory. Under Deno without read permission
 * on the directory that cannot be asked, and the file is created (empty) instead, as a last resort.
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
