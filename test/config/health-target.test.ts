// healthTarget(): the address `telnyx-relay healthcheck` asks, from the relay's own environment
// variables, with the option table's port parser and default.
import assert from "node:assert/strict";
import { test } from "node:test";
import { healthTarget } from "../../src/config/health-target.ts";
import { optionDefault } from "../../src/config/options.ts";
import { parsePort } from "../../src/config/values.ts";

test("healthTarget() reads TELNYX_RELAY_PORT and asks on loopback", () => {
  assert.deepEqual(healthTarget({ TELNYX_RELAY_PORT: "9000" }), { ok: true, value: { host: "127.0.0.1", port: 9000 } });
});

test("healthTarget() defaults to the relay's default port (8080) when TELNYX_RELAY_PORT is unset or empty", () => {
  assert.equal(optionDefault("port"), 8080);
  for (const env of [{}, { TELNYX_RELAY_PORT: "" }]) {
    assert.deepEqual(healthTarget(env), { ok: true, value: { host: "127.0.0.1", port: 8080 } });
  }
});

test("healthTarget() asks a wildcard TELNYX_RELAY_HOST on loopback, and a specific one on that address", () => {
  for (const host of ["0.0.0.0", "::", "[::]", "", " ", "127.0.0.1"]) {
    assert.deepEqual(healthTarget({ TELNYX_RELAY_PORT: "9000", TELNYX_RELAY_HOST: host }), { ok: true, value: { host: "127.0.0.1", port: 9000 } }, host);
  }
  assert.deepEqual(healthTarget({ TELNYX_RELAY_HOST: "127.0.0.2" }), { ok: true, value: { host: "127.0.0.2", port: 8080 } });
  assert.deepEqual(healthTarget({ TELNYX_RELAY_HOST: " [::1] " }), { ok: true, value: { host: "::1", port: 8080 } });
});

for (const port of ["0", "65536", "80a", "-1", "1e3", " 80"]) {
  test(`healthTarget() refuses TELNYX_RELAY_PORT "${port}", as the relay would (or, for 0, as nothing to check)`, () => {
    assert.deepEqual(healthTarget({ TELNYX_RELAY_PORT: port }), { ok: false, message: `TELNYX_RELAY_PORT: "${port}" is not a port to check (1-65535)` });
    // The same parser as the relay's: what it refuses, the relay refuses too (0 aside).
    assert.equal(parsePort(port).ok, port === "0");
  });
}
