// What goes wrong between the relay and NATS, against real single-node nats-servers: every case
// ends in a clear start-up error (exit 2, one line, no secret) or a dead letter, never a hang. And
// the ways to authenticate and encrypt that work: user/password, NKey, TLS with --nats-ca.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { SEED_BODY } from "../../scripts/seed-event.ts";
import type { NatsAuth } from "../../src/config/nats-config.ts";
import { freePort } from "../support/downstream.ts";
import { runRelay, startChildRelay, type ChildRelay } from "../support/child-relay.ts";
import { outcomeOf, postSigned } from "../support/http.ts";
import { makeKeys } from "../support/keys.ts";
import { createStream, natsClient, readStream, retrying } from "../support/nats-jetstream.ts";
import { natsSkip, startNats, type NatsCluster } from "../support/nats-server.ts";

const skip = natsSkip();
const keys = makeKeys();
const hasOpenssl = spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0;
const root = mkdtempSync(join(tmpdir(), "telnyx-relay-nats-errors-"));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => {
  const dir = join(root, `d${dirs++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};
// From github.com/nats-io/nkeys creds_utils_test.go: a user seed and its public key (the JWT's sub).
const USER_SEED = "SUAOTBNEUHZDFJT3EUMELT7MQTP24JF3XVCXQNDSCU74G5IU6VAJBKH5LI";
const USER_PUBLIC = "UDE6WTGLTTPCRJRJCKBJRGVNZTLIVR7LEEELR4CYWWWBKJS7XYIKXDUU";

/** A single JetStream server with `extra` config and a stream on `subjects`, made through `auth`. */
async function serverWithStream(extra: string, auth: NatsAuth, stream: { subjects: string[]; maxMsgSize?: number }, ca?: Buffer): Promise<NatsCluster> {
  const server = await startNats({ dir: freshDir(), nodes: 1, extra });
  const client = await natsClient(server.urls, auth, ca);
  try {
    await createStream(client, { name: "EVENTS", subjects: stream.subjects, replicas: 1, ...(stream.maxMsgSize === undefined ? {} : { maxMsgSize: stream.maxMsgSize }) });
  } finally {
    await client.close();
  }
  return server;
}

async function stopped(relay: ChildRelay): Promise<void> {
  if (relay.child.exitCode === null && relay.child.signalCode === null) relay.child.kill("SIGTERM");
  await relay.exited;
}

const base = (url: string): string[] => ["--host", "127.0.0.1", "--port", "0", "--dead-letter-file", join(freshDir(), "dl.jsonl"), "--nats-url", url];

/** The start-up failure: exit 2 and exactly one line on stderr. */
function startUpError(result: { code: number | null; stderr: string }): string {
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  return lines[0] as string;
}

describe("NATS: start-up errors and dead letters", { skip }, () => {
  test("wrong credentials: exit 2 with the server's refusal, and the password is nowhere in the output", async () => {
    const server = await serverWithStream(`authorization { user: "relay", password: "the-right-secret" }`, { kind: "user", user: "relay", password: "the-right-secret" }, { subjects: ["telnyx.>"] });
    try {
      const wrong = await runRelay(base(server.urls[0] as string), { TELNYX_PUBLIC_KEY: keys.portalKey, TELNYX_RELAY_NATS_USER: "relay", TELNYX_RELAY_NATS_PASSWORD: "a-wrong-secret" });
      const line = startUpError(wrong);
      assert.match(line, /^telnyx-relay: cannot start: NATS: no server accepted the connection .*Authorization Violation/);
      assert.ok(!wrong.stderr.includes("a-wrong-secret") && !wrong.stdout.includes("a-wrong-secret"));
      // The right password: it starts and publishes.
      const relay = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey, TELNYX_RELAY_NATS_USER: "relay", TELNYX_RELAY_NATS_PASSWORD: "the-right-secret" }, args: base(server.urls[0] as string).slice(4) });
      try {
        assert.equal(relay.logs.find((entry) => entry.message === "listening")?.sink, "nats");
        assert.equal((await postSigned(relay.url, keys.privateKey, SEED_BODY)).status, 200);
      } finally {
        await stopped(relay);
      }
    } finally {
      await server.stop();
    }
  });

  test("an NKey user: the server's nonce is signed with the seed from --nats-nkey", async () => {
    const auth: NatsAuth = { kind: "nkey", seedFile: join(freshDir(), "user.nk") };
    writeFileSync(auth.seedFile, `${USER_SEED}\n`, { mode: 0o600 });
    const server = await serverWithStream(`authorization { users: [ { nkey: "${USER_PUBLIC}" } ] }`, auth, { subjects: ["telnyx.>"] });
    try {
      const relay = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args: [...base(server.urls[0] as string).slice(4), "--nats-nkey", auth.seedFile] });
      try {
        const answer = await postSigned(relay.url, keys.privateKey, SEED_BODY);
        assert.equal(answer.status, 200, answer.text);
      } finally {
        await stopped(relay);
      }
      // No credentials at all: refused at start-up.
      assert.match(startUpError(await runRelay(base(server.urls[0] as string), { TELNYX_PUBLIC_KEY: keys.portalKey })), /Authorization Violation/);
    } finally {
      await server.stop();
    }
  });

  test("no stream captures the subject: exit 2 naming the subject; the relay creates no stream", async () => {
    const server = await serverWithStream("", { kind: "none" }, { subjects: ["telnyx.>"] });
    try {
      const line = startUpError(await runRelay([...base(server.urls[0] as string), "--nats-subject", "elsewhere.{type}"], { TELNYX_PUBLIC_KEY: keys.portalKey }));
      assert.match(line, /no JetStream stream captures the subject elsewhere\.>/);
      const client = await natsClient(server.urls);
      try {
        const names = await retrying("stream names", async () => (await client.request("$JS.API.STREAM.NAMES", [], Buffer.from("{}"), 2000)).payload.toString());
        assert.deepEqual(JSON.parse(names).streams, ["EVENTS"]);
      } finally {
        await client.close();
      }
    } finally {
      await server.stop();
    }
  });

  test("no server reachable in synchronous mode: exit 2 at once, not a hang", async () => {
    const port = await freePort();
    const line = startUpError(await runRelay(base(`nats://127.0.0.1:${port}`), { TELNYX_PUBLIC_KEY: keys.portalKey }));
    assert.match(line, /NATS: no server accepted the connection \(127\.0\.0\.1:\d+: ECONNREFUSED\)/);
  });

  test("an event larger than the stream takes: spooled, it goes to the dead-letter file; synchronous, 503", async () => {
    const server = await serverWithStream("", { kind: "none" }, { subjects: ["telnyx.>"], maxMsgSize: 200 });
    const dir = freshDir();
    const deadLetters = join(dir, "dl.jsonl");
    const spooled = await startChildRelay({
      env: { TELNYX_PUBLIC_KEY: keys.portalKey },
      args: ["--dead-letter-file", deadLetters, "--nats-url", server.urls[0] as string, "--spool-dir", join(dir, "spool")],
    });
    const sync = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args: base(server.urls[0] as string).slice(4) });
    try {
      const answer = await postSigned(spooled.url, keys.privateKey, SEED_BODY);
      assert.equal(answer.status, 200, answer.text);
      const letter = await retrying("the dead letter", async () => JSON.parse(readFileSync(deadLetters, "utf8").split("\n")[0] as string) as Record<string, unknown>);
      assert.equal(letter.reason, "downstream_rejected");
      assert.equal(letter.id, outcomeOf(answer).id);
      assert.match(String(letter.detail), /JetStream refused the message: .*maximum/i);
      assert.equal(JSON.parse(String(letter.event)).id, letter.id);
      const refused = await postSigned(sync.url, keys.privateKey, SEED_BODY);
      assert.equal(refused.status, 503, refused.text);
      const client = await natsClient(server.urls);
      try {
        assert.equal((await readStream(client, "EVENTS")).length, 0);
      } finally {
        await client.close();
      }
    } finally {
      await stopped(spooled);
      await stopped(sync);
      await server.stop();
    }
  });

  test("a --body-limit larger than the server's max_payload: exit 2, one line naming both", async () => {
    const server = await serverWithStream("max_payload: 600", { kind: "none" }, { subjects: ["telnyx.>"] });
    try {
      const line = startUpError(await runRelay(base(server.urls[0] as string), { TELNYX_PUBLIC_KEY: keys.portalKey }));
      assert.equal(line, "telnyx-relay: cannot start: --body-limit (262144 bytes) is larger than the NATS server's max_payload (600 bytes): a body that large could never be published; lower --body-limit or raise max_payload");
      // The twin, a limit the server agrees with, starts: the next test.
    } finally {
      await server.stop();
    }
  });

  test("an event larger than the server's max_payload is refused before it is sent (dead letter)", async () => {
    const server = await serverWithStream("max_payload: 600", { kind: "none" }, { subjects: ["telnyx.>"] });
    const dir = freshDir();
    const deadLetters = join(dir, "dl.jsonl");
    const relay = await startChildRelay({
      env: { TELNYX_PUBLIC_KEY: keys.portalKey },
      // A body limit the server agrees with (the start-up check), and an event that is still too large as a CloudEvent.
      args: ["--dead-letter-file", deadLetters, "--nats-url", server.urls[0] as string, "--spool-dir", join(dir, "spool"), "--body-limit", "600"],
    });
    try {
      assert.equal((await postSigned(relay.url, keys.privateKey, SEED_BODY)).status, 200);
      const letter = await retrying("the dead letter", async () => JSON.parse(readFileSync(deadLetters, "utf8").split("\n")[0] as string) as Record<string, unknown>);
      assert.match(String(letter.detail), /larger than the server's max_payload \(600 bytes\)/);
    } finally {
      await stopped(relay);
      await server.stop();
    }
  });

  test(
    "TLS required by the server: without --nats-ca the certificate does not verify (exit 2, one line); with it, events are published",
    { skip: !hasOpenssl && "needs the openssl command to make a test certificate" },
    async () => {
      const dir = freshDir();
      const [keyFile, certFile] = [join(dir, "key.pem"), join(dir, "cert.pem")];
      execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", keyFile, "-out", certFile], { stdio: "ignore" });
      const server = await serverWithStream(`tls { cert_file: "${certFile}", key_file: "${keyFile}" }`, { kind: "none" }, { subjects: ["telnyx.>"] }, readFileSync(certFile));
      const url = `nats://localhost:${server.nodes[0]?.port}`;
      try {
        const line = startUpError(await runRelay(base(url), { TELNYX_PUBLIC_KEY: keys.portalKey }));
        assert.match(line, /TLS: .*--nats-ca/);
        const relay = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey, TELNYX_RELAY_NATS_CA: certFile }, args: base(url).slice(4) });
        try {
          assert.equal((await postSigned(relay.url, keys.privateKey, SEED_BODY)).status, 200);
        } finally {
          await stopped(relay);
        }
      } finally {
        await server.stop();
      }
    },
  );
});
