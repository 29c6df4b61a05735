import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Deliverer } from "../../src/sinks/deliverer.ts";
import type { Transport } from "../../src/transports/transport.ts";
import { createLogger } from "../../src/lib/log.ts";
import { createSpoolSink } from "../../src/sinks/spool-sink.ts";
import { openJournal, type Journal, type SpooledEvent } from "../../src/spool/journal.ts";
import { options, tempDir } from "../spool/helpers.ts";

/** A bound on tests whose failure mode is a hang: not a timing assertion, just a way to fail rather than wait for ever. */
const HANG_MS = 10_000;

/** A deliverer that only records what it was handed. */
function recordingDeliverer(): { deliverer: Deliverer; enqueued: SpooledEvent[] } {
  const enqueued: SpooledEvent[] = [];
  const deliverer: Deliverer = {
    deliver: (event) => void enqueued.push(event),
    outstanding: () => enqueued.length,
    stop: () => {},
  };
  return { deliverer, enqueued };
}

/** A logger that keeps its lines. */
function memoryLog(): { log: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = createLogger((line) => void lines.push(JSON.parse(line) as Record<string, unknown>), "debug", () => 0);
  return { log, lines };
}

/** A journal whose answers the test sets; what it is not asked about throws. */
function scriptedJournal(overrides: Partial<Journal>): Journal {
  const unexpected = (): never => {
    throw new Error("not expected in this test");
  };
  return {
    recovered: [],
    recentIds: new Map(),
    append: unexpected,
    ack: unexpected,
    depth: () => 0,
    bytes: () => 0,
    countedBytes: () => 0,
    close: () => Promise.resolve(),
    ...overrides,
  };
}

/** A transport the spool sink is given only to close it (its deliverer here is a recording fake). */
const idleTransport: Transport = { send: () => Promise.reject(new Error("not expected in this test")), close: async () => {} };

const EVENT = { id: "0c3009a5a081707385f2effb8111b053", json: '{"specversion":"1.0"}' };

describe("spool sink", () => {
  test("an event whose id is already pending is answered delivered, but handed to the deliverer once", async (t) => {
    const dir = await tempDir(t);
    const journal = await openJournal(options(dir, []));
    const { deliverer, enqueued } = recordingDeliverer();
    const sink = createSpoolSink({ journal, maxBytes: 64 * 1024 * 1024, deliverer, transport: idleTransport, releaseLock: async () => {}, log: memoryLog().log, now: () => 1_000 });
    const answers = await Promise.all([sink.deliver(EVENT), sink.deliver(EVENT)]);
    assert.deepEqual(answers, [{ ok: true }, { ok: true }]);
    assert.deepEqual(await sink.deliver(EVENT), { ok: true }, "also once the first copy is on disk");
    assert.equal(enqueued.length, 1, "one copy for the deliverer: one POST at a time per id");
    assert.equal(journal.depth(), 1);
    // Once delivered (acknowledged), the id is a new event again as far as the spool goes.
    journal.ack(EVENT.id);
    assert.deepEqual(await sink.deliver(EVENT), { ok: true });
    assert.equal(enqueued.length, 2);
    await sink.close(10_000);
  });

  test("a successful append after a full one makes the sink ready again, even before the spool shrank", async () => {
    const answers: Array<"ok" | "full"> = ["full", "ok"];
    const journal = scriptedJournal({
      append: () => Promise.resolve(answers.shift()!),
      // Below maxBytes, but no lower than when it was full: acks made room without shrinking it yet.
      countedBytes: () => 900,
      bytes: () => 900,
    });
    const { deliverer, enqueued } = recordingDeliverer();
    const sink = createSpoolSink({ journal, maxBytes: 1_000, deliverer, transport: idleTransport, releaseLock: async () => {}, log: memoryLog().log, now: () => 1_000 });
    assert.equal(sink.ready(), true);
    assert.deepEqual(await sink.deliver(EVENT), { ok: false, reason: "spool_full", detail: "the spool is at its size limit; the downstream is behind" });
    assert.equal(sink.ready(), false, "not ready while as full as when an append found it full");
    assert.deepEqual(await sink.deliver(EVENT), { ok: true });
    assert.equal(enqueued.length, 1);
    assert.equal(sink.ready(), true);
  });

  test("readiness counts what counts against maxBytes, not the id records kept beside it", () => {
    const journal = scriptedJournal({ bytes: () => 1_200, countedBytes: () => 700 });
    const sink = createSpoolSink({ journal, maxBytes: 1_000, deliverer: recordingDeliverer().deliverer, transport: idleTransport, releaseLock: async () => {}, log: memoryLog().log, now: () => 1_000 });
    assert.equal(sink.ready(), true);
  });

  test("close() waits for the journal at most timeoutMs", { timeout: HANG_MS }, async () => {
    let closeCalled = false;
    const journal = scriptedJournal({
      close: () => {
        closeCalled = true;
        return new Promise<void>(() => {}); // a disk that never answers
      },
    });
    let stopped = false;
    const closed: string[] = [];
    const deliverer: Deliverer = { ...recordingDeliverer().deliverer, stop: () => void (stopped = true) };
    const transport: Transport = { ...idleTransport, close: async () => void closed.push("transport") };
    const { log, lines } = memoryLog();
    const sink = createSpoolSink({ journal, maxBytes: 1_000, deliverer, transport, releaseLock: async () => void closed.push("lock"), log, now: () => 1_000 });
    // Without the bound this never settles.
    await sink.close(20);
    assert.ok(closeCalled && stopped);
    assert.deepEqual(closed, ["transport", "lock"], "the sink closes what it owns: its transport, then (the journal abandoned) its lock");
    assert.deepEqual(
      lines.map(({ level, message }) => `${String(level)} ${String(message)}`),
      ["warn spool: the journal did not finish closing within the shutdown timeout"],
    );
  });

  test("close() with no time left still starts closing the journal, and a close that fails in time is reported", async () => {
    let closeCalled = false;
    const rejecting = scriptedJournal({
      close: () => {
        closeCalled = true;
        return Promise.reject(new Error("EIO: simulated"));
      },
    });
    const sink = createSpoolSink({ journal: rejecting, maxBytes: 1_000, deliverer: recordingDeliverer().deliverer, transport: idleTransport, releaseLock: async () => {}, log: memoryLog().log, now: () => 1_000 });
    await sink.close(0);
    assert.ok(closeCalled);
    // Its rejection was observed: an unhandled one would fail this test file.
    await new Promise((resolve) => setImmediate(resolve));

    const failing = scriptedJournal({ close: () => Promise.reject(new Error("EIO: simulated")) });
    let released = false;
    const other = createSpoolSink({ journal: failing, maxBytes: 1_000, deliverer: recordingDeliverer().deliverer, transport: idleTransport, releaseLock: async () => void (released = true), log: memoryLog().log, now: () => 1_000 });
    await assert.rejects(other.close(10_000), /EIO/);
    assert.ok(released, "the lock is let go even when the journal failed to close");
  });
});
