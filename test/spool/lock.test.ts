// The spool lock with real processes: a killed holder (SIGKILL, or a zombie nobody reaps) frees the
// directory at once; a live one keeps it; two relays racing for a stale lock do not both get it.
import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcessByStdio } from "node:child_process";
import { once } from "node:events";
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, readdir, writeFile } from "node:fs/promises";
import { createConnection } from "node:net";
import { join } from "node:path";
import process from "node:process";
import { createInterface, type Interface } from "node:readline";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import type { Readable, Writable } from "node:stream";
import { lockSpool } from "../../src/spool/lock.ts";
import { isDeno } from "../support/runtime.ts";
import { tempDir } from "./helpers.ts";
import { until } from "../support/wait.ts";

const HOLDER = fileURLToPath(new URL("./fixtures/lock-holder.ts", import.meta.url));
const RUNTIME_ARGS = isDeno ? ["run", "--allow-all", HOLDER] : [HOLDER];

interface Holder {
  readonly child: ChildProcessByStdio<Writable, Readable, null>;
  /** The first line it printed: `held <pid>` or `refused <message>`. */
  readonly first: string;
  readonly lines: Interface;
}

/** Starts a holder process on `dir` and waits for its first line. */
async function startHolder(dir: string): Promise<Holder> {
  const child = spawn(process.execPath, [...RUNTIME_ARGS, dir], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout });
  const [first] = (await once(lines, "line")) as [string];
  return { child, first, lines };
}

/** The lock's files in `dir`. */
async function lockFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.startsWith("telnyx-relay.lock")).sort();
}

async function kill(holder: Holder): Promise<void> {
  if (holder.child.exitCode !== null || holder.child.signalCode !== null) return;
  const exited = once(holder.child, "exit");
  holder.child.kill("SIGKILL");
  await exited;
}

/**
 * Whether a process is a zombie whose threads have all exited (Linux: state Z in /proc/<pid>/stat,
 * one task left). The leader turns Z while its other threads are still exiting; its files are closed
 * only when the last one is gone.
 */
function isZombie(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    // Deno reads /proc only with --allow-all: ask ps (state and thread count) instead.
    const [state, threads] = execFileSync("ps", ["-o", "stat=,nlwp=", "-p", String(pid)], { encoding: "utf8" }).trim().split(/\s+/);
    return state?.startsWith("Z") === true && threads === "1";
  }
  return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z") && readdirSync(`/proc/${pid}/task`).length === 1;
}

describe("spool lock", () => {
  test("a second relay on a held directory is refused, naming the holder's pid", async (t) => {
    const dir = await tempDir(t);
    const holder = await startHolder(dir);
    t.after(() => kill(holder));
    assert.equal(holder.first, `held ${holder.child.pid}`);
    await assert.rejects(lockSpool(dir), (error: Error) => {
      assert.equal(error.message, `spool directory ${dir} is in use by another telnyx-relay (pid ${holder.child.pid})`);
      return true;
    });
    // And another process is refused too, with the same message.
    const second = await startHolder(dir);
    assert.equal(second.first, `refused spool directory ${dir} is in use by another telnyx-relay (pid ${holder.child.pid})`);
    assert.deepEqual(await once(second.child, "exit"), [2, null]);
  });

  test("a stopped holder (SIGSTOP: it cannot answer) still holds the lock; the message then names no pid", async (t) => {
    const dir = await tempDir(t);
    const holder = await startHolder(dir);
    t.after(() => kill(holder));
    holder.child.kill("SIGSTOP");
    try {
      await assert.rejects(lockSpool(dir), (error: Error) => {
        assert.equal(error.message, `spool directory ${dir} is in use by another telnyx-relay`);
        return true;
      });
    } finally {
      holder.child.kill("SIGCONT");
    }
  });

  test("the lock of a holder killed with SIGKILL is taken at once, though its socket file is left behind", async (t) => {
    const dir = await tempDir(t);
    const holder = await startHolder(dir);
    await kill(holder);
    assert.deepEqual(await lockFiles(dir), ["telnyx-relay.lock.0"]);
    assert.ok(lstatSync(join(dir, "telnyx-relay.lock.0")).isSocket(), "a SIGKILL leaves the socket file");
    const release = await lockSpool(dir);
    // The next generation took over, and the dead one is cleared away.
    assert.deepEqual(await lockFiles(dir), ["telnyx-relay.lock.1"]);
    await release();
  });

  test("a zombie holder (killed, not reaped by its parent) does not keep the lock", { skip: process.platform !== "linux" && "reads /proc" }, async (t) => {
    const dir = await tempDir(t);
    // The shell starts the holder, then becomes `sleep`, which never reaps it.
    const holderCommand = [process.execPath, ...RUNTIME_ARGS, dir].map((word) => `'${word.replaceAll("'", "'\\''")}'`).join(" ");
    const parent = spawn("sh", ["-c", `${holderCommand} </dev/null & exec sleep 60`], { stdio: ["ignore", "pipe", "inherit"] });
    t.after(() => parent.kill("SIGKILL"));
    const [first] = (await once(createInterface({ input: parent.stdout }), "line")) as [string];
    const pid = Number(/^held (\d+)$/.exec(first)?.[1]);
    assert.ok(pid > 0, first);
    process.kill(pid, "SIGKILL");
    await until(() => isZombie(pid), `process ${pid} is a zombie`);
    const release = await lockSpool(dir);
    await release();
  });

  test("a pid file naming a live process that is not a relay (an older version's lock, a reused pid) does not block, and is removed", async (t) => {
    const dir = await tempDir(t);
    await writeFile(join(dir, "telnyx-relay.lock"), `${process.ppid}\n`);
    const release = await lockSpool(dir);
    assert.deepEqual(await lockFiles(dir), ["telnyx-relay.lock.0"]);
    await release();
  });

  test("a normal release frees the lock, and the next relay takes it", async (t) => {
    const dir = await tempDir(t);
    const holder = await startHolder(dir);
    t.after(() => kill(holder));
    holder.child.stdin.write("release\n");
    const [line] = (await once(holder.lines, "line")) as [string];
    assert.equal(line, "released");
    // Released while the process still runs: another takes it at once.
    const release = await lockSpool(dir);
    // In the same process too: held means held.
    await assert.rejects(lockSpool(dir), new RegExp(`is in use by another telnyx-relay \\(pid ${process.pid}\\)`));
    await release();
    await release(); // idempotent
    await (await lockSpool(dir))();
    assert.deepEqual(await lockFiles(dir), ["telnyx-relay.lock.2"]);
  });

  test("release does not wait for a prober that never closes its end (a relay stopped mid-probe)", { timeout: 10_000 }, async (t) => {
    const dir = await tempDir(t);
    const release = await lockSpool(dir);
    const [name] = (await lockFiles(dir)).filter((file) => /\.lock\.\d+$/.test(file));
    // Half-open allowed: it reads the greeting and never answers the holder's end of the connection.
    const prober = createConnection({ path: join(dir, name!), allowHalfOpen: true });
    prober.on("error", () => {});
    const greeting = createInterface({ input: prober });
    const [line] = (await once(greeting, "line")) as [string];
    assert.equal(line, `telnyx-relay ${process.pid}`);
    // Without the bound this never settles (a server's close waits for every connection).
    await release();
    prober.destroy();
  });

  test("a spool directory whose path is too long for a socket address works the same", async (t) => {
    let dir = await tempDir(t);
    while (dir.length < 220) dir = join(dir, "a-long-directory-name");
    await mkdir(dir, { recursive: true });
    const holder = await startHolder(dir);
    t.after(() => kill(holder));
    assert.equal(holder.first, `held ${holder.child.pid}`);
    await assert.rejects(lockSpool(dir), new RegExp(`in use by another telnyx-relay \\(pid ${holder.child.pid}\\)`));
    await kill(holder);
    const release = await lockSpool(dir);
    assert.deepEqual(await lockFiles(dir), ["telnyx-relay.lock.1"]);
    assert.ok(lstatSync(join(dir, "telnyx-relay.lock.1")).isSocket());
    await release();
    // Nothing of the alias is left in the temp directory's way.
    await (await lockSpool(dir))();
  });

  test("relays starting together over a stale lock: exactly one gets it", async (t) => {
    const dir = await tempDir(t);
    for (let round = 0; round < 3; round++) {
      const stale = await startHolder(dir);
      await kill(stale);
      const starters = await Promise.all([0, 1, 2, 3].map(() => startHolder(dir)));
      t.after(() => Promise.all(starters.map(kill)));
      const held = starters.filter(({ first }) => first.startsWith("held "));
      assert.equal(held.length, 1, starters.map(({ first }) => first).join("\n"));
      for (const { first } of starters) if (!first.startsWith("held ")) assert.match(first, /^refused .* is in use by another telnyx-relay/);
      await Promise.all(starters.map(kill));
    }
  });
});
