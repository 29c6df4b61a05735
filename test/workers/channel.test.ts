import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { duplexPair } from "node:stream";
import { after, describe, test } from "node:test";
import { createMetrics } from "../../src/lib/metrics.ts";
import type { EncodedEvent } from "../../src/pipeline/cloud-event.ts";
import { reject, type Rejection } from "../../src/pipeline/rejection.ts";
import { createDeadLetterFile, type BoundedDeadLetterFile, type DeadLetter } from "../../src/lib/dead-letter-file.ts";
import type { Delivered } from "../../src/sinks/sink.ts";
import { connectToMain } from "../../src/workers/connect-to-main.ts";
import { serveWorker, type MainServices } from "../../src/workers/serve-worker.ts";
import { until } from "../support/wait.ts";

const event = (n: number): EncodedEvent => ({ id: n.toString(16).padStart(32, "0"), json: JSON.stringify({ n, text: "a\nb \u2028 😀" }) });
type Outcome = Delivered | Rejection | "duplicate";
const dir = mkdtempSync(join(tmpdir(), "telnyx-relay-channel-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

/** Both ends over an in-memory socket pair; the main process answers events with `answer`. */
function link(answer: (event: EncodedEvent) => Promise<Outcome>, options: { answerTimeoutMs?: number; services?: Partial<MainServices>; workerMetrics?: () => string } = {}) {
  const [mainSide, workerSide] = duplexPair();
  const seen: EncodedEvent[] = [];
  let listening = 0;
  const garbled: string[] = [];
  const deadLetters = createDeadLetterFile(join(dir, `dead-${++files}.jsonl`));
  const services: MainServices = {
    handOn: (received) => {
      seen.push(received);
      return answer(received);
    },
    deadLetters,
    scrape: async () => "x_total 1\n",
    ...options.services,
  };
  const served = serveWorker(mainSide, services, { listening: () => void listening++, garbled: (line) => void garbled.push(line) }, Date.now);
  const main = connectToMain(workerSide, { answerTimeoutMs: options.answerTimeoutMs ?? 5_000, deadLetterPath: deadLetters.path, metrics: options.workerMetrics ?? (() => ""), now: Date.now });
  return { main, served, seen, listening: () => listening, garbled, mainSide, workerSide, deadLetters: services.deadLetters as BoundedDeadLetterFile };
}

const deadLetter = (body: string): DeadLetter => ({
  receivedAt: "2026-11-29T00:00:00.000Z",
  reason: "invalid_event",
  detail: "not a valid event",
  headers: { "telnyx-timestamp": "1795420800", "telnyx-signature-ed25519": "c2ln" },
  body,
});

describe("the channel between a worker and the main process", () => {
  test("events reach the main process intact, and each gets its own answer back, in any order", async () => {
    const outcomes: Outcome[] = [{ ok: true }, "duplicate", reject("spool_full", "the spool is full")];
    const { main, seen } = link(async (received) => {
      const n = JSON.parse(received.json).n as number;
      // Answer later events first.
      await new Promise((resolve) => setTimeout(resolve, (3 - n) * 10));
      return outcomes[n] as Outcome;
    });
    const answers = await Promise.all([0, 1, 2].map((n) => main.handOn(event(n))));
    assert.deepEqual(answers, outcomes);
    assert.deepEqual(seen.map((received) => received.json), [0, 1, 2].map((n) => event(n).json));
    assert.deepEqual(seen.map((received) => received.id), [0, 1, 2].map((n) => event(n).id));
  });

  test("a main process that throws answers sink_unavailable", async () => {
    const { main } = link(async () => {
      throw new Error("boom");
    });
    const answer = await main.handOn(event(1));
    assert.equal(answer !== "duplicate" && !answer.ok && answer.reason, "sink_unavailable");
  });

  test("an event the main process does not answer in time is refused with sink_unavailable", async () => {
    const { main } = link(() => new Promise<Outcome>(() => {}), { answerTimeoutMs: 100 });
    const answer = await main.handOn(event(1));
    assert.ok(answer !== "duplicate" && !answer.ok);
    assert.equal(answer.reason, "sink_unavailable");
    assert.match(answer.detail, /did not answer within 100 ms/);
  });

  test("when the channel closes, waiting and later events are refused, and `closed` resolves", async () => {
    const { main, mainSide } = link(() => new Promise<Outcome>(() => {}));
    const waiting = main.handOn(event(1));
    mainSide.end();
    await main.closed;
    for (const answer of [await waiting, await main.handOn(event(2))]) {
      assert.ok(answer !== "duplicate" && !answer.ok);
      assert.equal(answer.reason, "sink_unavailable");
    }
    assert.equal(main.ready(), false);
    assert.equal(await main.deadLetters.append(deadLetter("a=1")), "failed");
    assert.equal(await main.deadLetters.write(deadLetter("a=1")), false);
    await assert.rejects(main.scrape());
  });

  test("the worker's listening and the main process's readiness cross the channel", async () => {
    const { main, served, listening } = link(async () => ({ ok: true }));
    main.listening();
    served.setReady(false);
    await until(() => listening() === 1 && !main.ready());
    served.setReady(true);
    await until(() => main.ready());
  });

  test("a line that is not a frame is reported, not acted on", async () => {
    const { garbled, seen, workerSide } = link(async () => ({ ok: true }));
    workerSide.write("hello\n");
    await until(() => garbled.length > 0);
    assert.deepEqual(garbled, ["hello"]);
    assert.equal(seen.length, 0);
  });

  test("a worker's dead letters are written by the main process's file, which tells kept, then duplicate", async () => {
    const { main, deadLetters } = link(async () => ({ ok: true }));
    assert.equal(await main.deadLetters.append(deadLetter("a=1")), "kept");
    assert.equal(await main.deadLetters.append(deadLetter("a=1")), "duplicate");
    assert.equal(await main.deadLetters.write(deadLetter("a=2")), true);
    const lines = readFileSync(deadLetters.path, "utf8").trim().split("\n");
    assert.deepEqual(lines.map((line) => (JSON.parse(line) as { body: string }).body), ["a=1", "a=2"]);
    assert.equal(deadLetters.stats().duplicates, 1);
  });

  test("a full file's answer reaches the worker as full, and write() as false", async () => {
    const full = createDeadLetterFile(join(dir, "full.jsonl"), { maxBytes: 10 });
    const { main } = link(async () => ({ ok: true }), { services: { deadLetters: full } });
    assert.equal(await main.deadLetters.append(deadLetter("a=1")), "full");
    assert.equal(await main.deadLetters.write(deadLetter("a=1")), false);
  });

  test("the main process pulls a worker's metrics; it keeps the last ones the worker sent", async () => {
    const metrics = createMetrics();
    const { served } = link(async () => ({ ok: true }), { workerMetrics: () => metrics.render() });
    metrics.request(200);
    assert.match((await served.pullMetrics(5_000)) ?? "", /^telnyx_relay_requests_total\{status="200"\} 1$/m);
    metrics.request(200);
    assert.match((await served.pullMetrics(5_000)) ?? "", /^telnyx_relay_requests_total\{status="200"\} 2$/m);
    assert.match(served.lastMetrics() ?? "", /status="200"\} 2$/m);
  });

  test("a worker's scrape is answered with the main process's whole view, or rejected when it has none", async () => {
    const { main } = link(async () => ({ ok: true }), { services: { scrape: async () => "whole_total 7\n" } });
    assert.equal(await main.scrape(), "whole_total 7\n");
    const failing = link(async () => ({ ok: true }), { services: { scrape: () => Promise.reject(new Error("no")) } });
    await assert.rejects(failing.main.scrape(), /did not give its metrics/);
  });

  test("a worker that stops sends its metrics a last time before its channel closes", async () => {
    let count = 0;
    const { main, served } = link(async () => ({ ok: true }), { workerMetrics: () => `n_total ${count}\n` });
    count = 41;
    main.close();
    await served.closed;
    assert.equal(served.lastMetrics(), "n_total 41\n");
  });
});
