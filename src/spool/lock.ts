import process from "node:process";
import { mkdir, open, readFile, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

const LOCK_NAME = "telnyx-relay.lock";

/**
 * Takes the spool directory for this process: two relays on one journal would each compact the
 * other's segments away and lose events. The lock is a file holding the owner's pid, made with
 * O_EXCL; a lock whose process is gone (a `kill -9`, a crash) is taken over.
 *
 * @param dir The spool directory (created if missing).
 * @returns A function that releases the lock.
 * @throws {Error} When another live process holds the directory.
 * @example
 * ```ts
 * const release = await lockSpool("/var/lib/telnyx-relay");
 * // … at shutdown:
 * await release();
 * ```
 */
export async function lockSpool(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, LOCK_NAME);
  const mine = `${process.pid}\n`;
  try {
    const file = await open(path, "wx", 0o600);
    await file.writeFile(mine);
    await file.close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const owner = Number((await readFile(path, "utf8").catch(() => "")).trim());
    if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new Error(`spool directory ${dir} is in use by process ${owner} (if that is not a telnyx-relay, remove ${path})`);
    }
    await writeFile(path, mine, { mode: 0o600 });
  }
  return async () => {
    // Only our own lock: never remove one another process took over meanwhile.
    if ((await readFile(path, "utf8").catch(() => "")) === mine) await unlink(path).catch(() => {});
  };
}

/**
 * Whether a process with this pid exists (signal 0 checks without sending anything). Only ESRCH
 * proves it gone: under Deno without --allow-run the check itself is refused (NotCapable), and a
 * lock that may be live is not taken over.
 */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== "ESRCH";
  }
}
