import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Deliverer } from "../../src/sinks/deliverer.ts";
import type { Transport } from "../../src/transports/transport.ts";
import { createLogger } from "../../src/lib/log.ts";
import { createSpoolSink } from "../../src/sinks/spool-sink.ts";
import { openJournal, type Journal, type SpooledEvent } from "../../src/spool/journal.ts";
import { options, tempDir } from "../spool/helpers.ts";
import { eventually } from "../support/eventually.ts";
import { MAX_PAYLOAD_BYTES } from "../../src/spool/record.ts";

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
    commitSince: () => undefined,
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
    const sink = createSpoolSink({ journal, maxBytes: 64 * 1024 * 1024, timeoutMs: 1_000, deliverer, transport: idleTransport, releaseLock: async () => {}, log: memoryLog().log, now: () => 1_000 });
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
    const sink = createSpoolSink({ journal, maxBytes: 1_000, timeoutMs: 1_000, deliverer, transport: idleTransport, releaseLock: async () => {}, log: memoryLog().log, now: () => 1_000 });
    assert.equal(sink.ready(), true);
    assert.deepEqual(await sink.deliver(EVENT), { ok: false, reason: "spool_full", detail: "the spool is at its size limit; the downstream is behind" });
    assert.equal(sink.ready(), false, "not ready while as full as when an append found it full");
    assert.deepEqual(await sink.deliver(EVENT), { ok: true });
    assert.equal(enqueued.length, 1);
    assert.equal(sink.ready(), true);
  });

  test("readiness counts what counts against maxBytes, not the id records kept beside it", () => {
    const journal = scriptedJournal({ bytes: () => 1_200, countedBytes: () => 700 });
    const sink = createSpoolSink({ journal, maxBytes: 1_000, timeoutMs: 1_000, deliverer: recordingDeliverer().deliverer, transport: idleTransport, releaseLock: async () => {}, log: memoryLog().log, now: () => 1_000 });
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
    const sink = createSpoolSink({ journal, maxBytes: 1_000, timeoutMs: 1_000, deliverer, transport, releaseLock: async () => void closed.push("lock"), log, now: () => 1_000 });
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
    const sink = createSpoolSink({ journal: rejecting, maxBytes: 1_000, timeoutMs: 1_000, deliverer: recordingDeliverer().deliverer, transport: idleTransport, releaseLock: async () => {}, log: memoryLog().log, now: () => 1_000 });
    await sink.close(0);
    assert.ok(closeCalled);
    // Its rejection was observed: an unhandled one would fail this test file.
    await new Promise((resolve) => setImmediate(resolve));

    const failing = scriptedJournal({ close: () => Promise.reject(new Error("EIO: simulated")) });
    let released = false;
    const other = createSpoolSink({ journal: failing, maxBytes: 1_000, timeoutMs: 1_000, deliverer: recordingDeliverer().deliverer, transport: idleTransport, releaseLock: async () => void (released = true), log: memoryLog().log, now: () => 1_000 });
    await assert.rejects(other.close(10_000), /EIO/);
    assert.ok(released, "the lock is let go even when the journal failed to close");
  });

  test("an append the disk does not confirm in time is a 503 at the deadline; the write goes on, and once on disk the event is handed on and its id remembered", { timeout: HANG_MS }, async (t) => {
    const dir = await tempDir(t);
    // The fs seam: every fdatasync waits until the test lets the disk go (a hung NFS mount).
    let releaseDisk: () => void = () => {};
    const disk = new Promise<void>((resolve) => {
      releaseDisk = resolve;
    });
    const journal = await openJournal(options(dir, [], { datasync: (flush) => disk.then(flush) }));
    const { deliverer, enqueued } = recordingDeliverer();
    const remembered: string[] = [];
    const { log, lines } = memoryLog();
    const sink = createSpoolSink({ journal, maxBytes: 64 * 1024 * 1024, timeoutMs: 100, deliverer, transport: idleTransport, releaseLock: async () => {}, remember: (id) => void remembered.push(id), log, now: Date.now });
    assert.equal(sink.ready(), true);
    assert.deepEqual(await sink.deliver(EVENT), { ok: false, reason: "sink_unavailable", detail: "the spool's disk did not confirm the write within 100 ms" });
    assert.equal(sink.ready(), false, "not ready while an answered write is still not on disk");
    // Telnyx's redelivery: the id is pending, so it waits for that same copy, which is still not on disk.
    assert.equal((await sink.deliver(EVENT)).ok, false, "never answered before the first copy is on disk");
    assert.deepEqual(enqueued, [], "nothing handed on before it is on disk");
    assert.deepEqual(remembered, []);
    releaseDisk();
    await eventually(() => enqueued.length === 1, "the late write to hand the event on");
    assert.deepEqual(new Set(remembered), new Set([EVENT.id]), "the redelivery after this is a duplicate");
    await eventually(() => sink.ready(), "ready once the disk caught up");
    assert.deepEqual(await sink.deliver(EVENT), { ok: true }, "pending, on disk: answered, and not handed on twice");
    assert.equal(enqueued.length, 1);
    assert.deepEqual(
      lines.filter(({ level }) => level !== "debug").map(({ message }) => message),
      ["spool: the disk did not confirm a write in time; answering 503 until it does", "spool: the disk caught up; writes answered 503 have settled"],
      "one warning when the disk hangs, one when it is back: not one a request",
    );
    await sink.close(10_000);
  });

  test("a commit in flight longer than the deadline makes the sink not ready, with no request waiting", () => {
    let since: number | undefined = 800;
    const journal = scriptedJournal({ commitSince: () => since });
    const sink = createSpoolSink({ journal, maxBytes: 1_000, timeoutMs: 100, deliverer: recordingDeliverer().deliverer, transport: idleTransport, releaseLock: async () => {}, log: memoryLog().log, now: () => 1_000 });
    assert.equal(sink.ready(), false, "a commit (an ack's, say) 200 ms in flight on a 100 ms deadline: the disk hangs");
    since = 950;
    assert.equal(sink.ready(), true, "50 ms in flight: fine");
    since = undefined;
    assert.equal(sink.ready(), true);
  });

  test("an event too large for a journal record is 413 too_large, not a disk failure: the sink stays ready", async (t) => {
    const dir = await tempDir(t);
    const journal = await openJournal(options(dir, []));
    const { log, lines } = memoryLog();
    const sink = createSpoolSink({ journal, maxBytes: 64 * 1024 * 1024, timeoutMs: 1_000, deliverer: recordingDeliverer().deliverer, transport: idleTransport, releaseLock: async () => {}, log, now: Date.now });
    const answer = await sink.deliver({ id: "big", json: "x".repeat(MAX_PAYLOAD_BYTES) });
    assert.equal(answer.ok, false);
    assert.equal(!answer.ok && answer.reason, "too_large");
    assert.match(!answer.ok ? answer.detail : "", /larger than a spool record may be \(16777216 bytes\)/);
    assert.equal(sink.ready(), true, "the disk is fine");
    assert.deepEqual(
      lines.map(({ level, message }) => `${String(level)} ${String(message)}`),
      ["warn event too large for the spool"],
      "not logged as a failed write",
    );
    assert.deepEqual(await sink.deliver(EVENT), { ok: true }, "and the next event is spooled");
    await sink.close(10_000);
  });
});
