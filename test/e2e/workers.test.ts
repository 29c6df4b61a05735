// --workers N as users run it: N real processes sharing one loopback port (SO_REUSEPORT), one of
// them writing every event and holding the dedup set. Signals and crashes are real ones.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect, createServer } from "node:net";
import { request, type IncomingHttpHeaders } from "node:http";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { after, describe, test } from "node:test";
import { signDelivery } from "../../src/crypto/sign.ts";
import { encodeForm, EXAMPLES, SEED_FIELDS } from "../../scripts/seed-event.ts";
import { relayCommand, runRelay, startChildRelay, type ChildRelay } from "../support/child-relay.ts";
import { freePort, startDownstream } from "../support/downstream.ts";
import { FORM, outcomeOf } from "../support/http.ts";
import { makeKeys, nowSeconds } from "../support/keys.ts";
import { isDeno } from "../support/runtime.ts";
import { until } from "../support/wait.ts";

const REFER_TYPE = "com.telnyx.texml.refer.status";

const keys = makeKeys();
const dir = mkdtempSync(join(tmpdir(), "telnyx-relay-workers-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { TELNYX_PUBLIC_KEY: keys.portalKey, TELNYX_RELAY_DEAD_LETTER_FILE: join(dir, "dead.jsonl") };
const skip = isDeno && "--workers above 1 needs Node (SO_REUSEPORT); under Deno it is a start-up error, tested below";

/** The seed event with its own CallSid: a distinct event id. */
const eventBody = (n: number | string): string => encodeForm(SEED_FIELDS.map(([name, value]) => [name, name === "CallSid" ? `${value}-${n}` : value] as const));

/** One signed POST on a new connection, so the kernel picks a process for each (`signed`: headers to send as they are). */
function postFresh(port: number, body: string, path = "/webhooks/telnyx", signed = signDelivery(keys.privateKey, body, nowSeconds())): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, method: "POST", agent: false, headers: { "content-type": FORM, ...signed } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

/** A REFER callback with a status that is not one: signed, but invalid (a dead letter). */
const invalidBody = (n: number | string): string =>
  encodeForm(SEED_FIELDS.map(([name, value]) => [name, name === "ReferCallStatus" ? "ringing" : name === "CallSid" ? `${value}-${n}` : value] as const));

/** GET /metrics on a new connection (so any of the processes may answer it): sample → value. */
function scrapeFresh(port: number): Promise<Map<string, number>> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: "/metrics", agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`/metrics answered ${res.statusCode}: ${text}`));
        const samples = new Map<string, number>();
        for (const line of text.split("\n")) {
          if (line === "" || line.startsWith("#")) continue;
          const space = line.lastIndexOf(" ");
          assert.ok(!samples.has(line.slice(0, space)), `a sample written twice: ${line}`);
          samples.set(line.slice(0, space), Number(line.slice(space + 1)));
        }
        resolve(samples);
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** The processes (0 for the main one) that logged `message` at debug level. */
const processesThatLogged = (relay: ChildRelay, message: string): Set<unknown> =>
  new Set(relay.logs.filter((entry) => entry.message === message).map((entry) => entry.worker ?? 0));

const workerLines = (relay: ChildRelay): Array<Record<string, unknown>> => relay.logs.filter((entry) => entry.message === "worker listening");

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const gone = (pids: readonly number[]): Promise<void> => until(() => !pids.some(alive), `processes ${pids.join(", ")} to exit`);

describe("--workers", { skip }, () => {
  test("3 processes share the port; every event comes out on stdout once, as a whole line, whichever process took it", async () => {
    const relay = await startChildRelay({ env: { ...env, TELNYX_RELAY_LOG_LEVEL: "debug" }, args: ["--workers", "3"] });
    try {
      const listening = relay.logs.find((entry) => entry.message === "listening");
      assert.equal(listening?.workers, 3);
      const workers = workerLines(relay);
      assert.deepEqual(workers.map((entry) => entry.worker).sort(), [1, 2]);
      for (const entry of workers) assert.equal(entry.port, relay.port);

      const count = 300;
      const answers = await Promise.all(Array.from({ length: count }, (_, n) => postFresh(relay.port, eventBody(n))));
      assert.deepEqual(answers.map((answer) => answer.status), Array(count).fill(200));
      const ids = answers.map((answer) => outcomeOf(answer).id as string);
      assert.equal(new Set(ids).size, count);
      await relay.waitForLine(() => relay.lines.length >= count);
      // Stopped, and its stdout read to the end: every line it will ever write is in.
      relay.child.kill("SIGTERM");
      await relay.closed;
      assert.equal(relay.lines.length, count, "no event written twice");
      const written = relay.lines.map((line) => JSON.parse(line) as { id: string; type: string });
      assert.deepEqual(written.map((event) => event.id).sort(), [...ids].sort());

      // The debug line "event accepted" carries the worker index in a worker process: more than one process took events.
      const takers = new Set(relay.logs.filter((entry) => entry.message === "event accepted").map((entry) => entry.worker ?? 0));
      assert.ok(takers.size >= 2, `events were taken by processes ${[...takers].join(", ")}`);
    } finally {
      relay.child.kill("SIGTERM");
      assert.deepEqual(await relay.exited, { code: 0, signal: null });
    }
  });

  test("a redelivery is a duplicate whichever process it reaches: the dedup set is the main process's", async () => {
    const relay = await startChildRelay({ env, args: ["--workers", "3"] });
    try {
      const body = eventBody("redelivered");
      const answers = [];
      // One at a time, each on a new connection (and so, by the kernel's hash, on any of the processes).
      for (let i = 0; i < 30; i++) answers.push(await postFresh(relay.port, body));
      assert.deepEqual(answers.map((answer) => answer.status), Array(30).fill(200));
      const statuses = answers.map((answer) => outcomeOf(answer).status as string);
      assert.equal(statuses[0], "accepted");
      assert.deepEqual(statuses.slice(1), Array(29).fill("duplicate"));
      relay.child.kill("SIGTERM");
      await relay.closed;
      assert.equal(relay.lines.length, 1);
    } finally {
      relay.child.kill("SIGTERM");
      assert.deepEqual(await relay.exited, { code: 0, signal: null });
    }
  });

  test("synchronous forwarding: the downstream's TeXML answer reaches Telnyx whichever process took the callback", async () => {
    const downstream = await startDownstream();
    const steer = '<?xml version="1.0"?>\n<Response><Say>from the app</Say></Response>';
    downstream.answer(() => ({ status: 200, headers: { "content-type": "application/xml" }, body: steer }));
    const relay = await startChildRelay({ env, args: ["--workers", "3", "--forward-url", downstream.url] });
    try {
      const answers = [];
      for (let i = 0; i < 12; i++) answers.push(await postFresh(relay.port, eventBody(`steer-${i}`)));
      assert.deepEqual(answers.map((answer) => [answer.status, answer.text, outcomeOf(answer).status]), Array(12).fill([200, steer, "accepted"]));
    } finally {
      relay.child.kill("SIGTERM");
      await relay.exited;
      await downstream.close();
    }
  });

  test("synchronous forwarding: every delivery of a repeated Gather reaches the app whichever process took it, a byte-identical copy too (issue 16)", async () => {
    const downstream = await startDownstream();
    downstream.answer((_request, n) => ({ status: 200, headers: { "content-type": "application/xml" }, body: `<Response><Say>${n}</Say></Response>` }));
    const relay = await startChildRelay({ env, args: ["--workers", "3", "--forward-url", downstream.url] });
    try {
      const gather = EXAMPLES.find((example) => example.type === "com.telnyx.texml.gather")?.body as string;
      const copy = signDelivery(keys.privateKey, gather, nowSeconds());
      const answers = [];
      for (let i = 0; i < 6; i++) answers.push(await postFresh(relay.port, gather, "/webhooks/telnyx/texml/gather", i < 3 ? copy : signDelivery(keys.privateKey, gather, nowSeconds() - i)));
      assert.deepEqual(answers.map((answer) => [answer.status, outcomeOf(answer).status]), Array(6).fill([200, "accepted"]));
      assert.equal(new Set(answers.map((answer) => answer.text)).size, 6, "each got the app's own answer");
      assert.equal(downstream.received.length, 6);
    } finally {
      relay.child.kill("SIGTERM");
      await relay.exited;
      await downstream.close();
    }
  });

  test("/metrics gives the whole relay's counts whichever process answers the scrape", async () => {
    const relay = await startChildRelay({ env: { ...env, TELNYX_RELAY_LOG_LEVEL: "debug" }, args: ["--workers", "3"] });
    try {
      const count = 120;
      const answers = await Promise.all(Array.from({ length: count }, (_, n) => postFresh(relay.port, eventBody(`scraped-${n}`))));
      assert.deepEqual(answers.map((answer) => answer.status), Array(count).fill(200));
      // More than one process took events: no single process's own counters can say 120.
      assert.ok(processesThatLogged(relay, "event accepted").size >= 2);
      // One at a time, each on a new connection: the kernel hands them to any of the 3 processes.
      for (let k = 0; k < 12; k++) {
        const samples = await scrapeFresh(relay.port);
        assert.equal(samples.get(`telnyx_relay_events_accepted_total{type="${REFER_TYPE}"}`), count, `scrape ${k}`);
        // The earlier scrapes were answered 200 too, each by one of the processes.
        assert.equal(samples.get('telnyx_relay_requests_total{status="200"}'), count + k, `scrape ${k}`);
        assert.equal(samples.get("telnyx_relay_delivery_latency_seconds_count"), 0);
      }
    } finally {
      relay.child.kill("SIGTERM");
      assert.deepEqual(await relay.exited, { code: 0, signal: null });
    }
  });

  test("a worker's counts stay in the sum after it is killed and started again: the counters do not go back", async () => {
    const relay = await startChildRelay({ env: { ...env, TELNYX_RELAY_LOG_LEVEL: "debug" }, args: ["--workers", "2"] });
    try {
      const first = 60;
      const answers = await Promise.all(Array.from({ length: first }, (_, n) => postFresh(relay.port, eventBody(`before-kill-${n}`))));
      assert.deepEqual(answers.map((answer) => answer.status), Array(first).fill(200));
      assert.ok(processesThatLogged(relay, "event accepted").has(1), "the worker took some of the events");
      assert.equal((await scrapeFresh(relay.port)).get(`telnyx_relay_events_accepted_total{type="${REFER_TYPE}"}`), first);
      const pid = workerLines(relay)[0]?.pid as number;
      process.kill(pid, "SIGKILL");
      await until(() => workerLines(relay).length >= 2, "the worker to be started again");
      assert.equal(workerLines(relay).length, 2, "the worker was started again");
      assert.equal((await scrapeFresh(relay.port)).get(`telnyx_relay_events_accepted_total{type="${REFER_TYPE}"}`), first);
      const more = await Promise.all(Array.from({ length: 30 }, (_, n) => postFresh(relay.port, eventBody(`after-kill-${n}`))));
      assert.deepEqual(more.map((answer) => answer.status), Array(30).fill(200));
      assert.equal((await scrapeFresh(relay.port)).get(`telnyx_relay_events_accepted_total{type="${REFER_TYPE}"}`), first + 30);
    } finally {
      relay.child.kill("SIGTERM");
      assert.deepEqual(await relay.exited, { code: 0, signal: null });
    }
  });

  test("dead letters from every process go to one file, written by the main process: a delivery replayed to any process is stored once", async () => {
    const file = join(dir, "dead-workers.jsonl");
    const relay = await startChildRelay({ env: { ...env, TELNYX_RELAY_DEAD_LETTER_FILE: file, TELNYX_RELAY_LOG_LEVEL: "debug" }, args: ["--workers", "3"] });
    try {
      // The same signed invalid delivery 20 times (each signed afresh), and 10 distinct ones, on new connections.
      const replayed = [];
      for (let i = 0; i < 20; i++) replayed.push(await postFresh(relay.port, invalidBody("replayed")));
      const distinct = await Promise.all(Array.from({ length: 10 }, (_, n) => postFresh(relay.port, invalidBody(n))));
      assert.deepEqual([...replayed, ...distinct].map((answer) => answer.status), Array(30).fill(400));
      assert.ok(processesThatLogged(relay, "request refused").size >= 2, "more than one process refused them");
      const records = readFileSync(file, "utf8").trim().split("\n").map((line) => JSON.parse(line) as { reason: string; body: string });
      assert.equal(records.length, 11);
      assert.equal(new Set(records.map((record) => record.body)).size, 11);
      const samples = await scrapeFresh(relay.port);
      assert.equal(samples.get("telnyx_relay_dead_letters_duplicate_total"), 19);
      assert.equal(samples.get("telnyx_relay_dead_letter_bytes"), statSync(file).size);
    } finally {
      relay.child.kill("SIGTERM");
      assert.deepEqual(await relay.exited, { code: 0, signal: null });
    }
  });

  test("a worker killed with SIGKILL is started again, and requests keep being answered 200", async () => {
    const relay = await startChildRelay({ env, args: ["--workers", "2"] });
    try {
      const [first] = workerLines(relay);
      const pid = first?.pid as number;
      assert.ok(alive(pid));
      process.kill(pid, "SIGKILL");
      await until(() => workerLines(relay).length >= 2, "the worker to be started again");
      const restarted = workerLines(relay)[1];
      assert.ok(restarted, "the worker was started again");
      assert.notEqual(restarted.pid, pid);
      assert.ok(relay.logs.some((entry) => entry.message === "worker exited (SIGKILL); starting it again" && entry.signal === "SIGKILL"));
      const answers = await Promise.all(Array.from({ length: 50 }, (_, n) => postFresh(relay.port, eventBody(`after-crash-${n}`))));
      assert.deepEqual(answers.map((answer) => answer.status), Array(50).fill(200));
    } finally {
      relay.child.kill("SIGTERM");
      assert.deepEqual(await relay.exited, { code: 0, signal: null });
    }
  });

  test("SIGTERM to the main process stops every worker too, and exits 0", async () => {
    const relay = await startChildRelay({ env, args: ["--workers", "3"] });
    const pids = workerLines(relay).map((entry) => entry.pid as number);
    assert.equal(pids.length, 2);
    relay.child.kill("SIGTERM");
    assert.deepEqual(await relay.exited, { code: 0, signal: null });
    await gone(pids);
  });

  test("if the main process dies (SIGKILL), the workers stop by themselves: no orphan answers without a writer", async () => {
    const relay = await startChildRelay({ env, args: ["--workers", "3"] });
    const pids = workerLines(relay).map((entry) => entry.pid as number);
    relay.child.kill("SIGKILL");
    await relay.exited;
    await gone(pids);
  });

  test("a second relay with --workers on the port the first one holds does not share it: exit 2, address in use", async () => {
    const first = await startChildRelay({ env, args: ["--workers", "2"] });
    try {
      const second = await runRelay(["--host", "127.0.0.1", "--port", String(first.port), "--workers", "2"], env);
      assert.equal(second.code, 2);
      assert.match(second.stderr, /^telnyx-relay: cannot start: .*EADDRINUSE/);
      assert.equal(second.stdout, "");
    } finally {
      first.child.kill("SIGTERM");
      assert.deepEqual(await first.exited, { code: 0, signal: null });
    }
  });

  test("SIGTERM while the workers are still starting: the main process (already answering) stops cleanly, and no worker is left", async () => {
    const port = await freePort();
    const { command, args, path } = relayCommand();
    const child = spawn(command, [...args, "--host", "127.0.0.1", "--port", String(port), "--workers", "4"], { env: { PATH: path, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, "exit");
    // As soon as the port takes connections (the main process listens before its workers start).
    const takesConnections = (): Promise<boolean> =>
      new Promise<boolean>((resolve) => {
        const socket = connect({ port, host: "127.0.0.1" }, () => {
          socket.destroy();
          resolve(true);
        });
        socket.on("error", () => resolve(false));
      });
    await until(takesConnections, `port ${port} to take connections`);
    child.kill("SIGTERM");
    const [code, signal] = await exited;
    assert.deepEqual({ code, signal }, { code: 0, signal: null }, stderr);
    const logs = stderr.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.ok(logs.some((entry) => entry.message === "stopped" && entry.worker === undefined), stderr);
    const pids = logs.filter((entry) => entry.message === "worker listening").map((entry) => entry.pid as number);
    await gone(pids);
    // And none that had not said so yet is left holding the port: it can be bound alone again.
    const free = (): Promise<boolean> =>
      new Promise<boolean>((resolve) => {
        const probe = createServer();
        probe.once("error", () => resolve(false));
        probe.listen({ port, host: "127.0.0.1", exclusive: true }, () => probe.close(() => resolve(true)));
      });
    await until(free, `port ${port} to be free after the main process exited`);
  });

  test(
    "the single executable starts its workers when run by a relative path",
    { skip: !process.env.TELNYX_RELAY_BIN && "only for the binary (npm run test:bin)" },
    async () => {
      const bin = resolve(process.env.TELNYX_RELAY_BIN as string);
      const relay = await startChildRelay({ env, args: ["--workers", "2"], cwd: dirname(bin), command: { command: `./${basename(bin)}`, args: [] } });
      try {
        assert.equal(workerLines(relay).length, 1);
        assert.equal((await postFresh(relay.port, eventBody("relative"))).status, 200);
      } finally {
        relay.child.kill("SIGTERM");
        assert.deepEqual(await relay.exited, { code: 0, signal: null });
      }
    },
  );

  test("spooled forwarding with 2 processes: each event reaches the downstream once", async () => {
    const downstream = await startDownstream();
    const relay = await startChildRelay({ env, args: ["--workers", "2", "--forward-url", downstream.url, "--spool-dir", join(dir, "spool")] });
    try {
      const count = 100;
      const answers = await Promise.all(Array.from({ length: count }, (_, n) => postFresh(relay.port, eventBody(`spooled-${n}`))));
      assert.deepEqual(answers.map((answer) => answer.status), Array(count).fill(200));
      await downstream.waitFor(count);
      // Stopped: nothing more can reach the downstream.
      relay.child.kill("SIGTERM");
      assert.deepEqual(await relay.exited, { code: 0, signal: null });
      const ids = downstream.received.map((received) => JSON.parse(received.body).id as string);
      assert.equal(ids.length, count);
      assert.deepEqual([...ids].sort(), answers.map((answer) => outcomeOf(answer).id as string).sort());
    } finally {
      relay.child.kill("SIGTERM");
      assert.deepEqual(await relay.exited, { code: 0, signal: null });
      await downstream.close();
    }
  });
});

describe("--workers under Deno", { skip: !isDeno && "Deno only" }, () => {
  test("--workers 2 is a start-up error with a one-line reason", async () => {
    const { code, stdout, stderr } = await runRelay(["--workers", "2"], env);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.match(stderr, /^telnyx-relay: --workers above 1 needs Node[^\n]*\n$/);
  });
});
