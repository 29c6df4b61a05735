// `npm start` under a supervisor: a signal to the npm process must stop the relay as a signal to
// the relay itself does (npm's script shell would otherwise die and leave the relay orphaned,
// still listening). package.json's start script `exec`s the runtime for this.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { makeKeys } from "../support/keys.ts";
import { startNpmRelay, signalNpm } from "../support/npm-child.ts";
import { isDeno } from "../support/runtime.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "telnyx-relay-npm-start-"));
after(() => rmSync(dir, { recursive: true, force: true }));
// npm start is how Node users run it from a clone: not a Deno or single-executable matter.
const skip = isDeno ? "npm start runs Node" : process.env.TELNYX_RELAY_BIN ? "testing the binary" : spawnSync("npm", ["--version"]).status !== 0 ? "no npm on PATH" : false;

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal} to the npm start process stops the relay: its process is gone, the port is free, exit status 0`, { skip, timeout: 60_000 }, async () => {
    const keys = makeKeys();
    const relay = await startNpmRelay(ROOT, ["start", "--", "--host", "127.0.0.1", "--port", "0", "--dead-letter-file", join(dir, `dl-${signal}.jsonl`)], { TELNYX_PUBLIC_KEY: keys.portalKey });
    assert.notEqual(relay.pid, relay.npm.pid, "the relay is npm's child");
    // Without the fix, npm waits for ever for a shell that ignores SIGINT, or exits leaving the relay.
    const [code] = await signalNpm(relay, signal);
    assert.equal(code, 0);
  });
}
