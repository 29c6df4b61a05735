// Forwarding, as users run it: the relay as a child process, a real node:http downstream on
// loopback, events signed with keys made here. Synchronous mode and spooled mode, retries, dead
// letters, duplicates, the spool limit, and a SIGKILL in the middle of an outage.
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { encodeForm, SEED_BODY, SEED_FIELDS } from "../../scripts/seed-event.ts";
import { runRelay, startChildRelay, type ChildRelay } from "../support/child-relay.ts";
import { isDeno } from "../support/runtime.ts";
import { freePort, startDownstream } from "../support/downstream.ts";
import { startRawDownstream } from "../support/raw-downstream.ts";
import { postSigned, outcomeOf } from "../support/http.ts";
import { makeKeys } from "../support/keys.ts";
import { until } from "../support/wait.ts";

const keys = makeKeys();
const hasOpenssl = spawnSync("openssl", ["version"], { stdio: "ignore" }).status === 0;
const root = mkdtempSync(join(tmpdir(), "telnyx-relay-forward-"));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(root, `d${dirs++}`);

/** The body of distinct event number `n` (a different CallSid). */
function eventBody(n: number): string {
  return encodeForm(SEED_FIELDS.map(([name, value]): [string, string] => [name, name === "CallSid" ? `v3:call-${n}` : value]));
}

async function stopped(relay: ChildRelay): Promise<void> {
  if (relay.child.exitCode === null && relay.child.signalCode === null) relay.child.kill("SIGTERM");
  await relay.exited;
}

/** Waits until the relay's spool is empty (every event it took acknowledged, none waiting for a retry); returns its metrics. */
async function drained(port: number): Promise<string> {
  let metrics = "";
  const depthZero = async (): Promise<boolean> => /^telnyx_relay_spool_depth 0$/m.test((metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()));
  await until(depthZero, "the spool to drain");
  return metrics;
}

describe("synchronous forwarding (no spool)", () => {
  test("each event is POSTed as a structured CloudEvent with dedup and user headers, and signed; 200 only after the downstream's 2xx", async () => {
    const downstream = await startDownstream();
    const secret = Buffer.from("a secret of at least twenty-four bytes").toString("base64");
    const relay = await startChildRelay({
      env: { TELNYX_PUBLIC_KEY: keys.portalKey, TELNYX_RELAY_FORWARD_HEADER: "Authorization: Bearer t0ken\nX-Team: voice" },
      args: ["--dead-letter-file", join(root, "dl-sync.jsonl"), "--forward-url", downstream.url, "--forward-secret", `whsec_${secret}`],
    });
    try {
      const answer = await postSigned(relay.url, keys.privateKey, SEED_BODY);
      assert.equal(answer.status, 200, answer.text);
      const { id } = outcomeOf(answer);
      assert.equal(downstream.received.length, 1);
      const [request] = downstream.received;
      assert.ok(request);
      assert.equal(request.headers["content-type"], "application/cloudevents+json; charset=utf-8");
      assert.equal(request.headers["idempotency-key"], id);
      assert.equal(request.headers["ce-id"], id);
      assert.equal(request.headers.authorization, "Bearer t0ken");
      assert.equal(request.headers["x-team"], "voice");
      const event = JSON.parse(request.body);
      assert.equal(event.id, id);
      assert.deepEqual(event.data, Object.fromEntries(SEED_FIELDS));
      // Standard Webhooks: HMAC-SHA256 over id.timestamp.body with the secret's bytes.
      const expected = createHmac("sha256", Buffer.from(secret, "base64"))
        .update(`${request.headers["webhook-id"]}.${request.headers["webhook-timestamp"]}.${request.body}`)
        .digest("base64");
      assert.equal(request.headers["webhook-id"], id);
      assert.equal(request.headers["webhook-signature"], `v1,${expected}`);
      assert.equal(relay.lines.length, 0, "forwarding mode writes no events to stdout");
    } finally {
      await stopped(relay);
      await downstream.close();
    }
  });

  test(
    "an https:// downstream is reached over TLS, its certificate checked (trusted here through NODE_EXTRA_CA_CERTS)",
    { skip: (isDeno && "Deno reads its own CA settings, not NODE_EXTRA_CA_CERTS") || (!hasOpenssl && "needs the openssl command to make a test certificate") },
    async () => {
      const dir = freshDir();
      mkdirSync(dir, { recursive: true });
      const [keyFile, certFile] = [join(dir, "key.pem"), join(dir, "cert.pem")];
      execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyFile, "-out", certFile], { stdio: "ignore" });
      const received: Array<{ host: string | undefined; body: string }> = [];
      const server = createHttpsServer({ key: readFileSync(keyFile), cert: readFileSync(certFile) }, (req, res) => {
        let body = "";
        req.setEncoding("utf8");
        req.on("data", (chunk: string) => (body += chunk));
        req.on("end", () => {
          received.push({ host: req.headers.host, body });
          res.writeHead(200).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as AddressInfo).port;
      const args = ["--dead-letter-file", join(dir, "dl.jsonl"), "--forward-url", `https://127.0.0.1:${port}/in`];
      const trusting = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey, NODE_EXTRA_CA_CERTS: certFile }, args });
      const untrusting = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args: ["--forward-timeout", "1s", ...args] });
      try {
        const answer = await postSigned(trusting.url, keys.privateKey, SEED_BODY);
        assert.equal(answer.status, 200, answer.text);
        assert.equal(received.length, 1);
        assert.equal(received[0]?.host, `127.0.0.1:${port}`);
        assert.equal(JSON.parse(received[0]?.body ?? "").id, outcomeOf(answer).id);
        // Without the test CA the certificate does not verify: 503, and nothing is sent.
        assert.equal((await postSigned(untrusting.url, keys.privateKey, eventBody(1))).status, 503);
        assert.equal(received.length, 1);
      } finally {
        await stopped(trusting);
        await stopped(untrusting);
        server.close();
        server.closeAllConnections();
      }
    },
  );

  test("while the downstream is down or failing the relay answers 503 (Telnyx retries); once it is back, 200", async () => {
    const port = await freePort();
    const relay = await startChildRelay({
      env: { TELNYX_PUBLIC_KEY: keys.portalKey },
      args: ["--dead-letter-file", join(root, "dl-sync2.jsonl"), "--forward-url", `http://127.0.0.1:${port}/events`, "--forward-timeout", "500ms"],
    });
    try {
      const down = await postSigned(relay.url, keys.privateKey, SEED_BODY);
      assert.equal(down.status, 503);
      assert.equal(JSON.parse(down.text).error, "sink_unavailable");
      assert.equal((await fetch(`http://127.0.0.1:${relay.port}/readyz`)).status, 503, "not ready while the downstream is unreachable");

      const downstream = await startDownstream(port);
      try {
        downstream.answer(() => ({ status: 500 }));
        assert.equal((await postSigned(relay.url, keys.privateKey, SEED_BODY)).status, 503);
        downstream.answer(() => "hang");
        assert.equal((await postSigned(relay.url, keys.privateKey, SEED_BODY)).status, 503, "a downstream slower than --forward-timeout is a 503");
        downstream.answer(() => ({ status: 204 }));
        assert.equal((await postSigned(relay.url, keys.privateKey, SEED_BODY)).status, 200);
        assert.equal((await fetch(`http://127.0.0.1:${relay.port}/readyz`)).status, 200);
      } finally {
        await stopped(relay);
        await downstream.close();
      }
    } finally {
      await stopped(relay);
    }
  });
  // Issue 10 §4: the downstream's "200 OK" was taken from the status line, though the response was then cut off.
  test("a 200 cut off mid-body (Content-Length: 100, 5 bytes, a reset) is a 503 to Telnyx; a whole 200 is a 200", async () => {
    const downstream = await startRawDownstream();
    downstream.answer(() => "cut-off-200");
    const relay = await startChildRelay({
      env: { TELNYX_PUBLIC_KEY: keys.portalKey },
      args: ["--dead-letter-file", join(root, "dl-cut.jsonl"), "--forward-url", downstream.url, "--forward-timeout", "2s"],
    });
    try {
      const cut = await postSigned(relay.url, keys.privateKey, SEED_BODY);
      assert.equal(cut.status, 503, cut.text);
      assert.equal(JSON.parse(cut.text).error, "sink_unavailable");
      assert.equal(downstream.received.length, 1, "the downstream saw the event");
      downstream.answer(() => "ok");
      const whole = await postSigned(relay.url, keys.privateKey, SEED_BODY);
      assert.equal(whole.status, 200, whole.text);
      assert.equal(outcomeOf(whole).status, "accepted", "the cut-off attempt did not count: the redelivery is not a duplicate");
    } finally {
      await stopped(relay);
      await downstream.close();
    }
  });
});

describe("spooled forwarding", () => {
  test("events are answered 200 once spooled and delivered in the background, with retries through 500, 429 and timeouts", async () => {
    const downstream = await startDownstream();
    // The first request of each event fails in its own way; the next is acknowledged.
    const failures = [{ status: 500 }, { status: 429, headers: { "retry-after": "0" } }, "hang" as const];
    const tries = new Map<string, number>();
    downstream.answer((request) => {
      const id = String(request.headers["ce-id"]);
      const n = tries.get(id) ?? 0;
      tries.set(id, n + 1);
      const index = Number(JSON.parse(request.body).subject.split("-").at(-1)) % failures.length;
      return n === 0 ? (failures[index] as { status: number }) : { status: 200 };
    });
    const relay = await startChildRelay({
      env: { TELNYX_PUBLIC_KEY: keys.portalKey },
      args: [
        "--dead-letter-file", join(root, "dl-spool.jsonl"),
        "--forward-url", downstream.url,
        "--spool-dir", freshDir(),
        "--forward-timeout", "300ms",
        "--retry-max-delay", "100ms",
      ],
    });
    try {
      const ids: string[] = [];
      for (let n = 0; n < 9; n++) {
        const answer = await postSigned(relay.url, keys.privateKey, eventBody(n));
        assert.equal(answer.status, 200, answer.text);
        ids.push(outcomeOf(answer).id);
      }
      await until(() => ids.every((id) => (tries.get(id) ?? 0) >= 2), "every event to be retried and acknowledged");
      // The acknowledgement is recorded just after the downstream answers: poll the metrics.
      const metrics = await drained(relay.port);
      assert.match(metrics, /^telnyx_relay_events_forwarded_total 9$/m);
      assert.match(metrics, /^telnyx_relay_delivery_retries_total (9|[1-9][0-9])$/m);
    } finally {
      await stopped(relay);
      await downstream.close();
    }
  });

  test("a 200 cut off mid-body is retried like a reset until a whole answer arrives", async () => {
    const downstream = await startRawDownstream();
    // Two cut-off 200s for every event, then a whole one.
    downstream.answer((_id, n) => (n < 2 ? "cut-off-200" : "ok"));
    const relay = await startChildRelay({
      env: { TELNYX_PUBLIC_KEY: keys.portalKey },
      args: ["--dead-letter-file", join(root, "dl-cut-spool.jsonl"), "--forward-url", downstream.url, "--spool-dir", freshDir(), "--retry-max-delay", "100ms"],
    });
    try {
      const ids: string[] = [];
      for (let n = 0; n < 3; n++) {
        const answer = await postSigned(relay.url, keys.privateKey, eventBody(100 + n));
        assert.equal(answer.status, 200, answer.text);
        ids.push(outcomeOf(answer).id);
      }
      const attempts = (id: string): number => downstream.received.filter((seen) => seen === id).length;
      await until(() => ids.every((id) => attempts(id) >= 3), "every event to get its whole answer");
      const metrics = await drained(relay.port);
      assert.match(metrics, /^telnyx_relay_events_forwarded_total 3$/m);
      assert.match(metrics, /^telnyx_relay_delivery_retries_total ([6-9]|[1-9][0-9])$/m);
      // Acknowledged (out of the spool), so never sent again.
      for (const id of ids) assert.equal(attempts(id), 3, "acknowledged by the whole answer: not sent again");
    } finally {
      await stopped(relay);
      await downstream.close();
    }
  });

  test("a 4xx from the downstream is final: the event goes to the dead-letter file with the response, and is not retried", async () => {
    const downstream = await startDownstream();
    downstream.answer(() => ({ status: 422, body: "CallSid unknown to us" }));
    const deadLetterFile = join(root, "dl-422.jsonl");
    const relay = await startChildRelay({
      env: { TELNYX_PUBLIC_KEY: keys.portalKey },
      args: ["--dead-letter-file", deadLetterFile, "--forward-url", downstream.url, "--spool-dir", freshDir()],
    });
    try {
      const answer = await postSigned(relay.url, keys.privateKey, SEED_BODY);
      assert.equal(answer.status, 200);
      const { id } = outcomeOf(answer);
      // The file is created with its first record.
      await until(() => existsSync(deadLetterFile) && readFileSync(deadLetterFile, "utf8").includes(id), "the dead letter");
      const record = JSON.parse(readFileSync(deadLetterFile, "utf8").trim().split("\n").at(-1) as string);
      assert.equal(record.reason, "downstream_rejected");
      assert.equal(record.id, id);
      assert.deepEqual(record.response, { status: 422, bodyExcerpt: "CallSid unknown to us" });
      assert.equal(JSON.parse(record.event).id, id);
      // Out of the spool: a retry would have kept it there until sent again.
      await drained(relay.port);
      assert.equal(downstream.received.length, 1, "a 4xx is not retried");
    } finally {
      await stopped(relay);
      await downstream.close();
    }
  });

  test("a redelivery from Telnyx is answered 200 and forwarded once, also after a restart", async () => {
    const downstream = await startDownstream();
    const spoolDir = freshDir();
    const args = ["--dead-letter-file", join(root, "dl-dup.jsonl"), "--forward-url", downstream.url, "--spool-dir", spoolDir];
    const first = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args });
    try {
      const one = await postSigned(first.url, keys.privateKey, SEED_BODY);
      const two = await postSigned(first.url, keys.privateKey, SEED_BODY);
      assert.equal(one.status, 200);
      assert.equal(two.status, 200);
      assert.equal(outcomeOf(two).status, "duplicate");
      await downstream.waitFor(1);
    } finally {
      await stopped(first);
    }
    const second = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args });
    try {
      const three = await postSigned(second.url, keys.privateKey, SEED_BODY);
      assert.equal(three.status, 200);
      assert.equal(outcomeOf(three).status, "duplicate", "the dedup window survives a restart in spooled mode");
      // A forwarded copy would have been spooled before the answer, and stay there until sent.
      await drained(second.port);
      assert.equal(downstream.received.length, 1);
    } finally {
      await stopped(second);
      await downstream.close();
    }
  });

  test("a second relay on the same spool directory refuses to start (exit 2) and leaves the first one's journal alone", async () => {
    const downstream = await startDownstream();
    const spoolDir = freshDir();
    const args = ["--dead-letter-file", join(root, "dl-lock.jsonl"), "--forward-url", downstream.url, "--spool-dir", spoolDir];
    const first = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args });
    try {
      const { code, stderr } = await runRelay(["--port", "0", "--host", "127.0.0.1", ...args], { TELNYX_PUBLIC_KEY: keys.portalKey });
      assert.equal(code, 2);
      assert.match(stderr, /^telnyx-relay: cannot start: spool directory .* is in use by another telnyx-relay \(pid \d+\)/);
      // The first relay still spools and delivers.
      assert.equal((await postSigned(first.url, keys.privateKey, eventBody(7001))).status, 200);
      await downstream.waitFor(1);
    } finally {
      await stopped(first);
      await downstream.close();
    }
    // Its lock is gone with it: the next start takes the directory.
    const next = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args: [...args.slice(0, 2), "--forward-url", `http://127.0.0.1:${await freePort()}/`, "--spool-dir", spoolDir] });
    await stopped(next);
  });

  test("a full spool answers 503 spool_full instead of filling the disk", async () => {
    const port = await freePort(); // the downstream is down: nothing drains the spool
    const relay = await startChildRelay({
      env: { TELNYX_PUBLIC_KEY: keys.portalKey },
      args: ["--dead-letter-file", join(root, "dl-full.jsonl"), "--forward-url", `http://127.0.0.1:${port}/`, "--spool-dir", freshDir(), "--spool-max-bytes", "8KiB"],
    });
    try {
      let accepted = 0;
      let full = 0;
      for (let n = 0; n < 100 && full === 0; n++) {
        const answer = await postSigned(relay.url, keys.privateKey, eventBody(n));
        if (answer.status === 200) accepted++;
        else {
          assert.equal(answer.status, 503, answer.text);
          assert.equal(JSON.parse(answer.text).error, "spool_full");
          full++;
        }
      }
      assert.ok(accepted > 0 && full === 1, `accepted ${accepted}, full ${full}`);
      assert.equal((await fetch(`http://127.0.0.1:${relay.port}/readyz`)).status, 503, "a full spool is not ready");
    } finally {
      await stopped(relay);
    }
  });

  test("SIGKILL mid-stream while the downstream is down: after a restart every event answered 200 arrives, once per id", async () => {
    const port = await freePort();
    const spoolDir = freshDir();
    const args = ["--dead-letter-file", join(root, "dl-kill.jsonl"), "--forward-url", `http://127.0.0.1:${port}/events`, "--spool-dir", spoolDir, "--retry-max-delay", "200ms"];
    const first = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args });
    const answered = new Set<string>();
    // Requests in flight at once, so the kill lands in the middle of group commits.
    let n = 0;
    const sender = async (): Promise<void> => {
      while (n < 400 && first.child.exitCode === null && first.child.signalCode === null) {
        const answer = await postSigned(first.url, keys.privateKey, eventBody(n++)).catch(() => undefined);
        if (answer?.status === 200) answered.add(outcomeOf(answer).id);
      }
    };
    const senders = Promise.all(Array.from({ length: 8 }, sender));
    await until(() => answered.size >= 100, "100 answered events");
    first.child.kill("SIGKILL");
    await senders;
    assert.equal((await first.exited).signal, "SIGKILL");

    const downstream = await startDownstream(port);
    try {
      const second = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args });
      try {
        assert.ok(Number(second.logs[0]?.recovered) > 0, "the listening line says how many events were recovered");
        const ids = (): Set<string> => new Set(downstream.received.map((request) => String(request.headers["ce-id"])));
        await until(() => [...answered].every((id) => ids().has(id)), "every answered event downstream", 30_000);
      } finally {
        await stopped(second);
      }
    } finally {
      await downstream.close();
    }
  });
});
