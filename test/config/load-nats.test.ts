import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import { describe, test } from "node:test";
import { type ConfigResult, type Env } from "../../src/config/load.ts";
import type { NatsConfig } from "../../src/config/nats-config.ts";
import { expectConfig, expectErrors, expectOneError, loadFlags, type Flags } from "../support/config.ts";

const PORTAL_KEY = generateKeyPairSync("ed25519").publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");
const BASE_ENV: Env = { TELNYX_PUBLIC_KEY: PORTAL_KEY };
const URL_TEXT = "nats://n1.example:4222";

function load(flags: Flags, env: Env = {}): ConfigResult {
  return loadFlags(flags, { ...BASE_ENV, ...env });
}

function expectNats(result: ConfigResult): NatsConfig {
  const nats = expectConfig(result).nats;
  assert.ok(nats, "expected a NATS config");
  return nats;
}

const withUrl = (flags: Flags = {}): Flags => ({ "nats-url": [URL_TEXT], ...flags });

describe("loadConfig() --nats-url", () => {
  test("one URL: the defaults are subject telnyx.{type}, a 1.5 s PubAck deadline (inside Telnyx's 2 s), no credentials, the system's CAs", () => {
    const config = expectConfig(load(withUrl()));
    assert.equal(config.forward, undefined);
    assert.equal(config.spool, undefined);
    const nats = config.nats;
    assert.deepEqual(nats?.urls.map((url) => url.href), ["nats://n1.example:4222"]);
    assert.equal(nats?.subject, "telnyx.{type}");
    assert.equal(nats?.timeoutMs, 1500);
    assert.deepEqual(nats?.auth, { kind: "none" });
    assert.equal(nats?.caFile, undefined);
  });

  test("several URLs: comma-separated in one flag or the variable, or the flag repeated", () => {
    const hrefs = (result: ConfigResult): string[] => expectNats(result).urls.map((url) => url.host);
    assert.deepEqual(hrefs(load({ "nats-url": ["nats://a:4222,tls://b:4223"] })), ["a:4222", "b:4223"]);
    assert.deepEqual(hrefs(load({ "nats-url": ["nats://a:4222", "nats://b:4222"] })), ["a:4222", "b:4222"]);
    assert.deepEqual(hrefs(load({}, { TELNYX_RELAY_NATS_URL: "nats://a:1,nats://b:2" })), ["a:1", "b:2"]);
  });

  for (const [text, pattern] of [
    ["http://a:4222", /nats:\/\/ or tls:\/\//],
    ["nats://user:secret@a:4222", /credentials in the URL would be logged/],
    ["nats://a:4222/path", /just nats:\/\/host:port/],
    ["not a url", /is not a URL/],
  ] as const) {
    test(`--nats-url ${text} is refused (${pattern.source}), the text not repeated`, () => {
      const error = expectOneError(load({ "nats-url": [text] }), /--nats-url/, pattern);
      assert.ok(!error.includes("secret"));
    });
  }

  test("--nats-url and --forward-url together are refused: events go to one place", () => {
    expectOneError(load(withUrl({ "forward-url": ["http://127.0.0.1:9/in"] })), /--forward-url and --nats-url/);
  });

  test("every other NATS option needs --nats-url", () => {
    const errors = expectErrors(load({ "nats-subject": ["a.b"], "nats-token": ["t"] }));
    assert.deepEqual(errors, ["--nats-subject (TELNYX_RELAY_NATS_SUBJECT) needs --nats-url", "--nats-token (TELNYX_RELAY_NATS_TOKEN) needs --nats-url"]);
  });

  test("--spool-dir works with --nats-url (the spool belongs to no transport) and still needs one of the two", () => {
    assert.equal(expectConfig(load(withUrl({ "spool-dir": ["/var/spool/relay"] }))).spool?.dir, "/var/spool/relay");
    expectOneError(load({ "spool-dir": ["/s"] }), /--spool-dir \(TELNYX_RELAY_SPOOL_DIR\) needs --forward-url or --nats-url/);
  });

  test("synchronous mode: --nats-timeout must be shorter than the request and shutdown timeouts; spooled, it need not", () => {
    expectOneError(load(withUrl({ "nats-timeout": ["20s"], "shutdown-timeout": ["10s"] })), /--nats-timeout \(20000 ms\) must be shorter than --shutdown-timeout/);
    expectConfig(load(withUrl({ "nats-timeout": ["20s"], "shutdown-timeout": ["10s"], "spool-dir": ["/s"] })));
  });
});

describe("loadConfig() --nats-subject", () => {
  test("a template with {type}, or a plain subject", () => {
    assert.equal(expectNats(load(withUrl({ "nats-subject": ["events.{type}.in"] }))).subject, "events.{type}.in");
    assert.equal(expectNats(load(withUrl({ "nats-subject": ["events"] }))).subject, "events");
  });

  for (const [text, pattern] of [
    ["telnyx.>", /wildcards/],
    ["telnyx.*.x", /wildcards/],
    ["telnyx..{type}", /empty token/],
    [".{type}", /empty token/],
    ["tel nyx.{type}", /whitespace/],
    ["telnyx.{id}", /only placeholder is \{type\}/],
  ] as const) {
    test(`${JSON.stringify(text)} is refused (${pattern.source})`, () => {
      expectOneError(load(withUrl({ "nats-subject": [text] })), /--nats-subject/, pattern);
    });
  }
});

describe("loadConfig() NATS credentials", () => {
  test("user and password, token, NKey seed file, creds file", () => {
    assert.deepEqual(expectNats(load(withUrl(), { TELNYX_RELAY_NATS_USER: "relay", TELNYX_RELAY_NATS_PASSWORD: "pw" })).auth, { kind: "user", user: "relay", password: "pw" });
    assert.deepEqual(expectNats(load(withUrl(), { TELNYX_RELAY_NATS_TOKEN: "tok" })).auth, { kind: "token", token: "tok" });
    assert.deepEqual(expectNats(load(withUrl({ "nats-nkey": ["/run/secrets/user.nk"] }))).auth, { kind: "nkey", seedFile: "/run/secrets/user.nk" });
    assert.deepEqual(expectNats(load(withUrl({ "nats-creds": ["/run/secrets/user.creds"] }))).auth, { kind: "creds", credsFile: "/run/secrets/user.creds" });
    assert.equal(expectNats(load(withUrl({ "nats-ca": ["/etc/nats/ca.pem"] }))).caFile, "/etc/nats/ca.pem");
  });

  test("two ways to authenticate at once are refused", () => {
    expectOneError(load(withUrl({ "nats-token": ["t"], "nats-nkey": ["/k"] })), /--nats-token and --nats-nkey: give one way/);
  });

  test("a user without a password (or the reverse) is refused, and the password is not repeated", () => {
    expectOneError(load(withUrl({ "nats-user": ["relay"] })), /--nats-user needs --nats-password/);
    const error = expectOneError(load(withUrl(), { TELNYX_RELAY_NATS_PASSWORD: "hunter2" }), /--nats-password needs --nats-user/);
    assert.ok(!error.includes("hunter2"));
  });
});
