// `telnyx-relay healthcheck` as a container runs it: the same program (source, Deno, or the single
// executable under `npm run test:bin`), configured by the environment only, next to a running relay.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { runRelay, startChildRelay } from "../support/child-relay.ts";
import { freePort } from "../support/downstream.ts";
import { makeKeys } from "../support/keys.ts";

const keys = makeKeys();
const dir = mkdtempSync(join(tmpdir(), "telnyx-relay-healthcheck-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("healthcheck exits 0 when the relay on TELNYX_RELAY_PORT serves, and 1 once it has stopped", async () => {
  const relay = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args: ["--dead-letter-file", join(dir, "dead.jsonl")] });
  // The container's environment: the key is there too, and does not matter to the check.
  const env = { TELNYX_RELAY_PORT: String(relay.port), TELNYX_PUBLIC_KEY: keys.portalKey };
  try {
    const healthy = await runRelay(["healthcheck"], env);
    assert.deepEqual(healthy, { code: 0, stdout: `telnyx-relay healthcheck: http://127.0.0.1:${relay.port}/healthz answered 200\n`, stderr: "" });
  } finally {
    relay.child.kill("SIGTERM");
    await relay.exited;
  }
  const gone = await runRelay(["healthcheck"], env);
  assert.equal(gone.code, 1);
  assert.equal(gone.stdout, "");
  assert.match(gone.stderr, new RegExp(`^telnyx-relay healthcheck: http://127\\.0\\.0\\.1:${relay.port}/healthz: ECONNREFUSED\\n$`));
});

test("healthcheck exits 1 when nothing listens on the port", async () => {
  const { code, stderr } = await runRelay(["healthcheck"], { TELNYX_RELAY_PORT: String(await freePort()) });
  assert.equal(code, 1);
  assert.match(stderr, /ECONNREFUSED/);
});

test("healthcheck with arguments is a usage error: exit 2", async () => {
  const { code, stderr } = await runRelay(["healthcheck", "--port", "1"]);
  assert.equal(code, 2);
  assert.match(stderr, /^telnyx-relay: healthcheck takes no arguments/);
});
