// The relay run through npm (`npm start`, `npm exec -- deno task start`) as a supervisor runs it:
// an npm child process, signalled, that must take the relay down with it.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { connect } from "node:net";
import { join } from "node:path";
import { createInterface } from "node:readline";
import process from "node:process";
import { until } from "./wait.ts";

/** npm running the relay: the child, its exit, and the relay's pid and port once it listens. */
export interface NpmRelay {
  readonly npm: ChildProcess;
  readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
  readonly pid: number;
  readonly port: number;
}

/**
 * Runs `npm ARGS` in `root` with node_modules/.bin first on PATH (the Node and Deno of the clone, as
 * npm scripts find them) and waits for the relay's `listening` log line on its stderr.
 */
export async function startNpmRelay(root: string, args: readonly string[], env: Readonly<Record<string, string>>): Promise<NpmRelay> {
  const npm = spawn("npm", args, {
    cwd: root,
    env: { PATH: `${join(root, "node_modules/.bin")}:${process.env.PATH ?? ""}`, HOME: process.env.HOME ?? root, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const exited = once(npm, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  for await (const line of createInterface({ input: npm.stderr! })) {
    if (!line.startsWith("{")) continue;
    const entry = JSON.parse(line) as { message: string; pid: number; port: number };
    assert.equal(entry.message, "listening");
    return { npm, exited, pid: entry.pid, port: entry.port };
  }
  npm.kill("SIGKILL");
  throw new Error(`npm ${args.join(" ")} ended before the relay listened`);
}

/**
 * Sends `signal` to npm and checks that npm exits within 10 s, the relay's process is gone and
 * nothing listens on its port any more (kills both if not).
 *
 * @returns npm's exit status and signal.
 */
export async function signalNpm(relay: NpmRelay, signal: NodeJS.Signals): Promise<[number | null, NodeJS.Signals | null]> {
  try {
    // process.kill, not npm.kill: under Deno 2.9 the latter makes 'exit' report the signal sent.
    process.kill(relay.npm.pid as number, signal);
    // Bounded: npm that waits for ever for its shell, or a relay left running, fails here.
    const timer = new Promise<"still running">((resolve) => setTimeout(resolve, 10_000, "still running").unref());
    const outcome = await Promise.race([relay.exited, timer]);
    assert.notEqual(outcome, "still running", "npm has not exited 10 s after the signal");
    await until(() => !alive(relay.pid), "the relay to exit (not left running)", 5_000);
    assert.equal(await refused(relay.port), true, "nothing listens on the port any more");
    return outcome as [number | null, NodeJS.Signals | null];
  } finally {
    if (alive(relay.pid)) process.kill(relay.pid, "SIGKILL");
    relay.npm.kill("SIGKILL");
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function refused(port: number): Promise<boolean> {
  const socket = connect(port, "127.0.0.1");
  try {
    await once(socket, "connect");
    return false;
  } catch {
    return true;
  } finally {
    socket.destroy();
  }
}
