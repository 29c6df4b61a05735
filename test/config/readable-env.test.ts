// readableEnv(): the whole environment where it can be listed, else (Deno with --allow-env=NAMES)
// just the relay's own names, marked incomplete with the reason the start-up warning gives.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { Env } from "../../src/config/load.ts";
import { readableEnv } from "../../src/config/readable-env.ts";

/** An environment like Deno's process.env under --allow-env=NAMES: listing and other names throw NotCapable. */
function narrowEnv(values: Record<string, string>, allowed: readonly string[]): Env {
  const notCapable = (what: string): Error => Object.assign(new Error(`Requires env access${what}`), { name: "NotCapable" });
  return new Proxy(values, {
    ownKeys: () => {
      throw notCapable("");
    },
    get: (target, name) => {
      if (typeof name !== "string" || !allowed.includes(name)) throw notCapable(` to "${String(name)}"`);
      return target[name];
    },
  });
}

test("readableEnv() returns a listable environment itself, complete", () => {
  const env = { TELNYX_RELAY_PROT: "1", PATH: "/bin" };
  assert.deepEqual(readableEnv(env, ["TELNYX_RELAY_PORT"]), { env, complete: true, reason: undefined });
});

test("readableEnv() reads only the given names when the environment cannot be listed, and says why", () => {
  const env = narrowEnv({ TELNYX_RELAY_PORT: "9000", TELNYX_RELAY_PROT: "1" }, ["TELNYX_RELAY_PORT", "TELNYX_PUBLIC_KEY"]);
  const result = readableEnv(env, ["TELNYX_RELAY_PORT", "TELNYX_PUBLIC_KEY", "TELNYX_RELAY_HOST"]);
  assert.equal(result.complete, false);
  // A name that may not be read counts as unset; the misspelt one is not there to be noticed.
  assert.deepEqual({ ...result.env }, { TELNYX_RELAY_PORT: "9000", TELNYX_PUBLIC_KEY: undefined, TELNYX_RELAY_HOST: undefined });
  assert.match(result.reason ?? "", /^the environment cannot be listed \(NotCapable: e\.g\. deno run --allow-env=NAMES\); give --allow-env without names/);
});
