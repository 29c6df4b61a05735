import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

import { createDeliverer, type Deliverer, type DelivererOptions } from "../../src/sinks/deliverer.ts";
import type { Outgoing, SendOutcome } from "../../src/transports/transport.ts";
import { createLogger } from "../../src/lib/log.ts";
import { createMetrics, type Metrics } from "../../src/lib/metrics.ts";
import { createDeadLetterFile, type BoundedDeadLetterFile, type DeadLetter } from "../../src/lib/dead-letter-file.ts";
import { deferred, type Deferred, settle, until } from "../support/wait.ts";

/** What the spool hands the deliverer: an encoded event and when the relay accepted it. */
interface Spooled {
  readonly id: string;
  readonly json: string;
  readonly acceptedAt: number;
}


const NOW = 1_795_420_800_000;
const dir = await mkdtemp(join(tmpdir(), "telnyx-relay-deliverer-"));
// Every deliverer made here is stopped at the end, even after a failed assertion, so no retry timer outlives the file.
const deliverers: Deliverer[] = [];
after(async () => {
  for (const deliverer of deliverers) deliverer.stop();
  await rm(dir, { recursive: true, force: true });
});

let serial = 0;
function spooled(acceptedAt = NOW - 2500): Spooled {
  const id = (++serial).toString(16).padStart(32, "0");
  return { id, json: `{"specversion":"1.0","id":"${id}","data":{"n":"${serial}"}}`, acceptedAt };
}

const DELIVERED: SendOutcome = { kind: "delivered" };
/** A retry as the HTTP transport makes it: after a status (reached) or none (not reached), maybe with a wait asked for. */
const retry = (status: number | undefined, afterMs?: number): SendOutcome => {
  const reason = status === undefined ? "ECONNREFUSED" : `the downstream answered ${status}`;
  return afterMs === undefined ? { kind: "retry", reason, reached: status !== undefined } : { kind: "retry", reason, afterMs, reached: true };
};
const reject = (status: number, bodyExcerpt: string): SendOutcome => ({ kind: "refuse", detail: `the downstream answered ${status}`, answer: { status, bodyExcerpt } });

/** A fake transport: answers from a per-event script (the last answer repeats), recording every call. */
interface FakeTransport {
  readonly calls: string[];
  /** Calls in flight now, and the most there ever were. */
  inFlight: number;
  maxInFlight: number;
  send(event: Outgoing): Promise<SendOutcome>;
  close(): Promise<void>;
  script(id: string, answers: ReadonlyArray<SendOutcome | (() => Promise<SendOutcome>)>): void;
  callsFor(id: string): number;
}

function fakeTransport(fallback: SendOutcome = DELIVERED): FakeTransport {
  const scripts = new Map<string, Array<SendOutcome | (() => Promise<SendOutcome>)>>();
  const fake: FakeTransport = {
    calls: [],
    inFlight: 0,
    maxInFlight: 0,
    async send(event) {
      fake.calls.push(event.id);
      fake.inFlight++;
      fake.maxInFlight = Math.max(fake.maxInFlight, fake.inFlight);
      try {
        const script = scripts.get(event.id);
        const next: SendOutcome | (() => Promise<SendOutcome>) = script === undefined ? fallback : ((script.length > 1 ? script.shift() : script[0]) ?? fallback);
        return typeof next === "function" ? await next() : next;
      } finally {
        fake.inFlight--;
      }
    },
    close: async () => {},
    script: (id, answers) => void scripts.set(id, [...answers]),
    callsFor: (id) => fake.calls.filter((call) => call === id).length,
  };
  return fake;
}

/** A dead-letter file whose writes resolve when the test says (true: kept, false: failed). */
function fakeDeadLetters(path: string, write: (record: DeadLetter) => Promise<boolean>): BoundedDeadLetterFile {
  return {
    path,
    write,
    append: async (record) => ((await write(record)) ? "kept" : "failed"),
    stats: () => ({ bytes: 0, kept: { invalid_event: 0, downstream_rejected: 0 }, duplicates: 0, refused: 0 }),
    overdue: () => false,
    close: async () => {},
  };
}

interface Harness {
  readonly deliverer: Deliverer;
  readonly transport: FakeTransport;
  readonly acks: string[];
  readonly logs: Array<Record<string, unknown>>;
  readonly metrics: Metrics;
  readonly deadLetters: BoundedDeadLetterFile;
  counter(name: string): number;
  retryDelays(id: string): number[];
}

function harness(overrides: Partial<Omit<DelivererOptions, "transport" | "ack">> & { transport?: FakeTransport } = {}): Harness {
  const transport = overrides.transport ?? fakeTransport();
  const acks: string[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const metrics = overrides.metrics ?? createMetrics();
  const deadLetters = overrides.deadLetters ?? createDeadLetterFile(join(dir, `dead-${++serial}.jsonl`));
  // As in the relay: the file counts what it writes.
  metrics.deadLetterFile(() => deadLetters.stats());
  const deliverer = createDeliverer({
    concurrency: 4,
    baseDelayMs: 1,
    maxDelayMs: 5,
    random: () => 0.999,
    now: () => NOW,
    log: createLogger((line) => logs.push(JSON.parse(line) as Record<string, unknown>), "debug", () => NOW),
    ...overrides,
    metrics,
    deadLetters,
    transport,
    ack: (id) => void acks.push(id),
  });
  deliverers.push(deliverer);
  return {
    deliverer,
    transport,
    acks,
    logs,
    metrics,
    deadLetters,
    counter(name) {
      const match = new RegExp(`^${name}(?:\\{reason="downstream_rejected"\\})? (\\S+)$`, "m").exec(metrics.render());
      assert.ok(match, `no sample ${name}`);
      return Number(match[1]);
    },
    retryDelays: (id) => logs.filter((line) => line["message"] === "forward failed; retrying" && line["id"] === id).map((line) => line["delayMs"] as number),
  };
}

async function readDeadLetters(file: BoundedDeadLetterFile): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(file.path, "utf8");
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("createDeliverer() outcomes", () => {
  test("a delivered event is acknowledged once and counted as forwarded, with its latency from acceptedAt", async () => {
    const h = harness();
    const event = spooled(NOW - 2500);
    h.deliverer.deliver(event);
    await until(() => h.acks.length === 1, "the ack");
    assert.deepEqual(h.acks, [event.id]);
    assert.deepEqual(h.transport.calls, [event.id]);
    assert.equal(h.counter("telnyx_relay_events_forwarded_total"), 1);
    assert.equal(h.counter("telnyx_relay_delivery_latency_seconds_sum"), 2.5);
    assert.equal(h.counter("telnyx_relay_delivery_retries_total"), 0);
    assert.equal(h.deliverer.outstanding(), 0);
  });

  test("500 then 200: acknowledged once after two tries, one retry counted and logged", async () => {
    const h = harness();
    const event = spooled();
    h.transport.script(event.id, [retry(500), DELIVERED]);
    h.deliverer.deliver(event);
    await until(() => h.acks.length === 1, "the ack");
    assert.deepEqual(h.acks, [event.id]);
    assert.equal(h.transport.callsFor(event.id), 2);
    assert.equal(h.counter("telnyx_relay_delivery_retries_total"), 1);
    assert.equal(h.counter("telnyx_relay_events_forwarded_total"), 1);
    const retried = h.logs.filter((line) => line["message"] === "forward failed; retrying");
    assert.equal(retried.length, 1);
    assert.equal(retried[0]?.["id"], event.id);
    assert.equal(retried[0]?.["tries"], 1);
    assert.equal(retried[0]?.["reason"], "the downstream answered 500");
    assert.equal(h.deliverer.outstanding(), 0);
  });

  test("a 429's Retry-After holds back every event, not just the one it answered (backoff is per downstream)", async () => {
    const transport = fakeTransport();
    const h = harness({ transport, concurrency: 1 });
    const first = spooled();
    const second = spooled();
    transport.script(first.id, [retry(429, 60_000), DELIVERED]);
    transport.script(second.id, [DELIVERED]);
    h.deliverer.deliver(first);
    await until(() => h.retryDelays(first.id).length === 1, "the 429");
    h.deliverer.deliver(second);
    // deliver() decides at once (the gate is shut for 60 s); whatever it started would have begun by now.
    await settle();
    assert.deepEqual(h.retryDelays(first.id), [60_000]);
    assert.equal(transport.callsFor(second.id), 0, "nothing is sent while the downstream asked to wait");
    assert.equal(h.deliverer.outstanding(), 2);
    h.deliverer.stop();
    assert.equal(h.deliverer.outstanding(), 0);
  });

  test("the twin: after a short Retry-After both events go through, and a success resets the backoff", async () => {
    const transport = fakeTransport();
    const h = harness({ transport, concurrency: 1 });
    const first = spooled();
    const second = spooled();
    transport.script(first.id, [retry(429, 5), DELIVERED]);
    transport.script(second.id, [DELIVERED]);
    h.deliverer.deliver(first);
    h.deliverer.deliver(second);
    await until(() => h.acks.length === 2, "both acks");
    assert.deepEqual([...h.acks].sort(), [first.id, second.id].sort());
    assert.equal(transport.callsFor(second.id), 1);
    h.deliverer.stop();
  });

  test("a Retry-After over an hour is waited for only an hour", () => {
    const h = harness();
    const event = spooled();
    h.transport.script(event.id, [retry(503, 36_000_000)]);
    h.deliverer.deliver(event);
    return until(() => h.retryDelays(event.id).length === 1, "the retry").then(() => {
      assert.deepEqual(h.retryDelays(event.id), [3_600_000]);
      h.deliverer.stop();
    });
  });

  test("422 is dead-lettered with the status, body excerpt and event JSON, then acknowledged, and not retried", async () => {
    const h = harness();
    const event = spooled(NOW - 1000);
    h.transport.script(event.id, [reject(422, '{"error":"unknown field"}')]);
    h.deliverer.deliver(event);
    await until(() => h.acks.length === 1, "the ack");
    assert.deepEqual(h.acks, [event.id]);
    const records = await readDeadLetters(h.deadLetters);
    assert.equal(records.length, 1);
    const record = records[0] as Extract<DeadLetter, { reason: "downstream_rejected" }>;
    assert.equal(record.reason, "downstream_rejected");
    assert.equal(record.id, event.id);
    assert.equal(record.receivedAt, new Date(NOW - 1000).toISOString());
    assert.deepEqual(record.response, { status: 422, bodyExcerpt: '{"error":"unknown field"}' });
    assert.equal(record.event, event.json);
    assert.equal(record.detail, "the downstream answered 422; not retried");
    assert.equal(h.counter("telnyx_relay_events_dead_lettered_total"), 1);
    assert.equal(h.counter("telnyx_relay_delivery_retries_total"), 0);
    assert.equal(h.counter("telnyx_relay_events_forwarded_total"), 0);
    assert.ok(h.logs.some((line) => line["level"] === "warn" && line["message"] === "event dead-lettered" && line["detail"] === "the downstream answered 422"));
    // Nothing waits or runs: it cannot be tried again.
    assert.equal(h.deliverer.outstanding(), 0);
    assert.equal(h.transport.callsFor(event.id), 1);
    await h.deadLetters.close();
  });

  test("a rejection whose dead-letter record cannot be written is not acknowledged, and only the write is tried again until it can be", async () => {
    const missing = join(dir, `missing-${++serial}`);
    const h = harness({ deadLetters: createDeadLetterFile(join(missing, "dead.jsonl")) });
    const event = spooled();
    h.transport.script(event.id, [reject(400, "bad")]);
    h.deliverer.deliver(event);
    const failedWrites = () => h.logs.filter((line) => line["level"] === "error" && line["id"] === event.id).length;
    await until(() => failedWrites() >= 2, "a second write attempt");
    assert.equal(h.transport.callsFor(event.id), 1, "the downstream's answer is kept: the event is not sent again");
    assert.deepEqual(h.acks, [], "not acknowledged while the record is not on disk");
    assert.equal(h.counter("telnyx_relay_events_dead_lettered_total"), 0);
    assert.ok(h.logs.some((line) => line["level"] === "error" && line["id"] === event.id));
    // The twin: once the directory exists, the record is written and the event acknowledged.
    await mkdir(missing);
    await until(() => h.acks.length === 1, "the ack");
    assert.deepEqual(h.acks, [event.id]);
    const records = await readDeadLetters(h.deadLetters);
    assert.equal(records.length, 1);
    assert.equal(records[0]?.["id"], event.id);
    h.deliverer.stop();
    await h.deadLetters.close();
  });
});

describe("createDeliverer() concurrency", () => {
  test("the transport never has more than `concurrency` sends outstanding, and every event is delivered", async () => {
    const transport = fakeTransport();
    const gates: Array<Deferred<SendOutcome>> = [];
    const h = harness({ transport, concurrency: 3 });
    const events = Array.from({ length: 20 }, () => spooled());
    for (const event of events) {
      const gate = deferred<SendOutcome>();
      gates.push(gate);
      // The second answer (to a retry) is "delivered".
      transport.script(event.id, [() => gate.promise, DELIVERED]);
    }
    for (const event of events) h.deliverer.deliver(event);
    assert.equal(h.deliverer.outstanding(), 20);
    for (let i = 0; i < events.length; i++) {
      // Event i is in flight once i + 3 sends were made (retries add more later, at the back of the queue).
      await until(() => transport.calls.length >= Math.min(i + 3, events.length), `call ${i + 3}`);
      assert.ok(transport.inFlight <= 3, `${transport.inFlight} in flight`);
      (gates[i] as Deferred<SendOutcome>).resolve(i % 4 === 0 ? retry(503) : DELIVERED);
    }
    await until(() => h.acks.length === 20, "every ack");
    assert.equal(transport.maxInFlight, 3);
    assert.deepEqual(new Set(h.acks), new Set(events.map((event) => event.id)));
    assert.equal(h.deliverer.outstanding(), 0);
  });
});

describe("createDeliverer().stop()", () => {
  test("after stop(), an in-flight send that then resolves delivered is not acknowledged, and nothing more is sent", async () => {
    const transport = fakeTransport();
    const h = harness({ transport });
    const inFlight = spooled();
    const retrying = spooled();
    const gate = deferred<SendOutcome>();
    transport.script(inFlight.id, [() => gate.promise]);
    transport.script(retrying.id, [retry(503)]);
    h.deliverer.deliver(inFlight);
    h.deliverer.deliver(retrying);
    await until(() => h.transport.callsFor(retrying.id) >= 2, "the retrying event to retry");
    h.deliverer.stop();
    const calls = transport.calls.length;
    gate.resolve(DELIVERED);
    await until(() => h.deliverer.outstanding() === 0, "the in-flight send to end");
    assert.deepEqual(h.acks, []);
    assert.equal(h.counter("telnyx_relay_events_forwarded_total"), 0);
    assert.equal(h.deliverer.outstanding(), 0, "the pending retry was dropped and the in-flight send has ended");
    // An event enqueued after stop() is not sent either (it stays in the spool for the next start).
    h.deliverer.deliver(spooled());
    await settle();
    assert.equal(transport.calls.length, calls, "no transport after stop()");
    assert.deepEqual(h.acks, []);
  });

  test("the twin: without stop(), the same in-flight send is acknowledged", async () => {
    const transport = fakeTransport();
    const h = harness({ transport });
    const event = spooled();
    const gate = deferred<SendOutcome>();
    transport.script(event.id, [() => gate.promise]);
    h.deliverer.deliver(event);
    await until(() => transport.calls.length === 1, "the send");
    gate.resolve(DELIVERED);
    await until(() => h.acks.length === 1, "the ack");
  });

  test(
    "stop() while a rejection's dead-letter record is being written: nothing is acknowledged after stop()",
    async () => {
      const written = deferred<boolean>();
      const writes: DeadLetter[] = [];
      const deadLetters = fakeDeadLetters(join(dir, "fake-dead.jsonl"), (record) => {
        writes.push(record);
        return written.promise;
      });
      const h = harness({ deadLetters });
      const event = spooled();
      h.transport.script(event.id, [reject(422, "no")]);
      h.deliverer.deliver(event);
      await until(() => writes.length === 1, "the dead-letter write");
      h.deliverer.stop();
      written.resolve(true);
      await until(() => h.deliverer.outstanding() === 0, "the attempt to end");
      assert.deepEqual(h.acks, []);
    },
  );

  test(
    "stop() while a failing dead-letter write is in progress leaves no retry timer behind",
    async () => {
      const written = deferred<boolean>();
      let writes = 0;
      const deadLetters = fakeDeadLetters(join(dir, "fake-dead-2.jsonl"), () => {
        writes++;
        return written.promise;
      });
      const h = harness({ deadLetters, baseDelayMs: 60_000, maxDelayMs: 60_000 });
      const event = spooled();
      h.transport.script(event.id, [reject(422, "no")]);
      h.deliverer.deliver(event);
      await until(() => writes === 1, "the dead-letter write");
      h.deliverer.stop();
      written.resolve(false);
      // The attempt goes on in promise callbacks only (the fake file answers at once): all run by the next turn.
      await settle();
      const left = h.deliverer.outstanding();
      // Clear whatever was left so this file still ends promptly.
      h.deliverer.stop();
      assert.equal(left, 0);
    },
  );
});

describe("createDeliverer() with a full dead-letter file", () => {
  test("a refused event stays spooled and its write is tried again later, while other events are still delivered", async () => {
    // Smaller than any record: every dead letter finds the file full.
    const h = harness({ deadLetters: createDeadLetterFile(join(dir, `dead-full-${++serial}.jsonl`), { maxBytes: 10 }) });
    const refused = spooled();
    const taken = spooled();
    h.transport.script(refused.id, [reject(422, "no")]);
    h.deliverer.deliver(refused);
    h.deliverer.deliver(taken);
    const fullLines = () => h.logs.filter((line) => line["message"] === "dead-letter file full; the event stays spooled").length;
    await until(() => fullLines() >= 2, "the full file's write tried twice");
    await until(() => h.acks.includes(taken.id), "the other event acknowledged");
    h.deliverer.stop();
    assert.equal(h.acks.includes(refused.id), false, "the refused event is not acknowledged");
    assert.equal(h.counter("telnyx_relay_events_dead_lettered_total"), 0);
  });
});

describe("createDeliverer() backoff", () => {
  test("with jitter pinned high, the delays double from baseDelayMs and stop at maxDelayMs", async () => {
    const transport = fakeTransport(retry(503));
    const h = harness({ transport, baseDelayMs: 2, maxDelayMs: 20, random: () => 0.999 });
    const event = spooled();
    h.deliverer.deliver(event);
    await until(() => h.retryDelays(event.id).length >= 7, "seven retries");
    h.deliverer.stop();
    const delays = h.retryDelays(event.id).slice(0, 7);
    assert.deepEqual(delays, [2, 4, 8, 16, 20, 20, 20]);
    for (let i = 1; i < delays.length; i++) assert.ok((delays[i] as number) >= (delays[i - 1] as number), "non-decreasing");
    assert.ok(delays.every((delay) => delay <= 20), "capped");
    const tries = h.logs.filter((line) => line["message"] === "forward failed; retrying").map((line) => line["tries"]);
    assert.deepEqual(tries.slice(0, 7), [1, 2, 3, 4, 5, 6, 7]);
  });

  test("with jitter pinned at 0 every wait is 0 (full jitter: the wait is random in [0, cap))", async () => {
    const transport = fakeTransport(retry(undefined));
    const h = harness({ transport, baseDelayMs: 2, maxDelayMs: 20, random: () => 0 });
    const event = spooled();
    h.deliverer.deliver(event);
    await until(() => h.retryDelays(event.id).length >= 5, "five retries");
    h.deliverer.stop();
    assert.deepEqual(h.retryDelays(event.id).slice(0, 5), [0, 0, 0, 0, 0]);
  });

  test("the backoff is per event: a new event starts again from baseDelayMs", async () => {
    const transport = fakeTransport();
    const h = harness({ transport, baseDelayMs: 2, maxDelayMs: 20 });
    const first = spooled();
    const second = spooled();
    transport.script(first.id, [retry(503), retry(503), retry(503), DELIVERED]);
    transport.script(second.id, [retry(503), DELIVERED]);
    h.deliverer.deliver(first);
    await until(() => h.acks.includes(first.id), "the first ack");
    h.deliverer.deliver(second);
    await until(() => h.acks.includes(second.id), "the second ack");
    assert.deepEqual(h.retryDelays(first.id), [2, 4, 8]);
    assert.deepEqual(h.retryDelays(second.id), [2]);
  });
});

describe("createDeliverer() says when the downstream fails and recovers", () => {
  test("one warning when it starts failing and one info line when it answers again, not one per attempt", async () => {
    let clock = NOW;
    const logs: Array<Record<string, unknown>> = [];
    const quiet = harness({ now: () => clock, log: createLogger((line) => logs.push(JSON.parse(line) as Record<string, unknown>), "info", () => clock) });
    const events = [spooled(), spooled(), spooled()];
    for (const event of events) {
      quiet.transport.script(event.id, [retry(undefined), retry(503), retry(undefined), retry(500), DELIVERED]);
      clock += 1000;
      quiet.deliverer.deliver(event);
    }
    await until(() => quiet.acks.length === 3, "every ack");
    assert.ok(quiet.counter("telnyx_relay_delivery_retries_total") >= 4);
    const warnings = logs.filter((line) => line["level"] === "warn");
    assert.equal(warnings.length, 1, JSON.stringify(logs));
    assert.equal(warnings[0]?.["message"], "downstream failing; events stay spooled and are retried");
    assert.equal(warnings[0]?.["reason"], "ECONNREFUSED");
    const recovered = logs.filter((line) => line["message"] === "downstream recovered");
    assert.equal(recovered.length, 1, JSON.stringify(logs));
    assert.equal(recovered[0]?.["level"], "info");
    assert.equal(recovered[0]?.["failedAttempts"], quiet.counter("telnyx_relay_delivery_retries_total"));
    assert.equal(logs.length, 2, "nothing else at info");
  });

  test("a second outage is warned about again; a healthy downstream logs nothing", async () => {
    const logs: Array<Record<string, unknown>> = [];
    const h = harness({ log: createLogger((line) => logs.push(JSON.parse(line) as Record<string, unknown>), "info", () => NOW) });
    const healthy = spooled();
    h.deliverer.deliver(healthy);
    await until(() => h.acks.length === 1, "the first ack");
    assert.deepEqual(logs, []);
    for (let outage = 0; outage < 2; outage++) {
      const event = spooled();
      h.transport.script(event.id, [retry(502), DELIVERED]);
      h.deliverer.deliver(event);
      await until(() => h.acks.includes(event.id), "the ack");
    }
    assert.deepEqual(logs.map((line) => line["message"]), ["downstream failing; events stay spooled and are retried", "downstream recovered", "downstream failing; events stay spooled and are retried", "downstream recovered"]);
  });
});
