// `npm start` under a supervisor: a signal to the npm process must stop the relay as a signal to
// the relay itself does (npm's script shell would otherwise die and leave the relay orphaned,
// still listening). package.json's start script `exec`s the runtime for this.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { after, test } from "node:test";
import { makeKeys } from "../support/keys.ts";
import { isDeno } from "../support/runtime.ts";
import { until } from "../support/wait.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "telnyx-relay-npm-start-"));
after(() => rmSync(dir, { recursive: true, force: true }));
// npm start is how Node users run it from a clone: not a Deno or single-executable matter.
const skip = isDeno ? "npm start runs Node" : process.env.TELNYX_RELAY_BIN ? "testing the binary" : spawnSync("npm", ["--version"]).status !== 0 ? "no npm on PATH" : false;

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

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal} to the npm start process stops the relay: its process is gone, the port is free, exit status 0`, { skip, timeout: 60_000 }, async () => {
    const keys = makeKeys();
    const npm = spawn("npm", ["start", "--", "--host", "127.0.0.1", "--port", "0", "--dead-letter-file", join(dir, `dl-${signal}.jsonl`)], {
      cwd: ROOT,
      // The node npm's script finds first is this test's (Node 24), as under `npm test`.
      env: { PATH: `${join(ROOT, "node_modules/.bin")}:${process.env.PATH ?? ""}`, HOME: process.env.HOME ?? dir, TELNYX_PUBLIC_KEY: keys.portalKey },
      stdio: ["ignore", "ignore", "pipe"],
    });
    const exited = once(npm, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
    let relayPid = 0;
    let port = 0;
    try {
      for await (const line of createInterface({ input: npm.stderr! })) {
        if (!line.startsWith("{")) continue;
        const entry = JSON.parse(line) as { message: string; pid: number; port: number };
        assert.equal(entry.message, "listening");
        ({ pid: relayPid, port } = entry);
        break;
      }
      assert.notEqual(relayPid, npm.pid, "the relay is npm's child");
      npm.kill(signal);
      // Bounded: without the fix, npm waits for ever for a shell that ignores SIGINT.
      const timer = new Promise<"still running">((resolve) => setTimeout(resolve, 10_000, "still running").unref());
      const outcome = await Promise.race([exited, timer]);
      assert.notEqual(outcome, "still running", "npm start has not exited 10 s after the signal");
      assert.equal((outcome as [number | null, NodeJS.Signals | null])[0], 0);
      await until(() => !alive(relayPid), "the relay to exit (not left running)", 5_000);
      assert.equal(await refused(port), true, "nothing listens on the port any more");
    } finally {
      if (relayPid !== 0 && alive(relayPid)) process.kill(relayPid, "SIGKILL");
      npm.kill("SIGKILL");
    }
  });
}
