import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createDedup, type Dedup } from "../../src/pipeline/dedup.ts";
import { deferred, type Deferred, settle } from "../support/wait.ts";

type Outcome = { readonly ok: boolean; readonly n?: number };


/** A clock the test moves by hand. */
function manualClock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let time = start;
  return { now: () => time, advance: (ms) => void (time += ms) };
}

/** An accept function that counts its calls and resolves `outcome`. */
function counting(outcome: Outcome = { ok: true }): { accept: () => Promise<Outcome>; calls: () => number } {
  let calls = 0;
  return {
    accept: async () => {
      calls++;
      return outcome;
    },
    calls: () => calls,
  };
}

const WINDOW = 60_000;

function make(clock = manualClock(), windowMs = WINDOW, maxEntries = 1000): Dedup {
  return createDedup({ windowMs, maxEntries, now: clock.now });
}

describe("createDedup().once()", () => {
  test("the first call for an id runs accept and returns its result", async () => {
    const dedup = make();
    const { accept, calls } = counting({ ok: true, n: 7 });
    assert.deepEqual(await dedup.once("a", accept), { ok: true, n: 7 });
    assert.equal(calls(), 1);
    assert.equal(dedup.size(), 1);
  });

  test("a second call with the same id within the window is a duplicate and does not run accept", async () => {
    const clock = manualClock();
    const dedup = make(clock);
    const { accept, calls } = counting();
    await dedup.once("a", accept);
    clock.advance(WINDOW - 1);
    assert.equal(await dedup.once("a", accept), "duplicate");
    assert.equal(calls(), 1);
  });

  test("a call with another id within the window is not a duplicate", async () => {
    const dedup = make();
    const { accept, calls } = counting();
    await dedup.once("a", accept);
    assert.deepEqual(await dedup.once("b", accept), { ok: true });
    assert.equal(calls(), 2);
  });

  test("after the window has passed, accept runs again for the same id", async () => {
    const clock = manualClock();
    const dedup = make(clock);
    const { accept, calls } = counting();
    await dedup.once("a", accept);
    clock.advance(WINDOW);
    assert.deepEqual(await dedup.once("a", accept), { ok: true });
    assert.equal(calls(), 2);
  });

  test("an accept that resolves { ok: false } is not remembered: the next call runs accept", async () => {
    const dedup = make();
    const failing = counting({ ok: false });
    assert.deepEqual(await dedup.once("a", failing.accept), { ok: false });
    assert.equal(dedup.size(), 0);
    const succeeding = counting({ ok: true });
    assert.deepEqual(await dedup.once("a", succeeding.accept), { ok: true });
    assert.equal(succeeding.calls(), 1);
    // The twin: now it is remembered.
    assert.equal(await dedup.once("a", succeeding.accept), "duplicate");
    assert.equal(succeeding.calls(), 1);
  });

  test("a rejected accept propagates to its caller and does not poison the id", async () => {
    const dedup = make();
    await assert.rejects(
      dedup.once("a", async () => {
        throw new Error("disk on fire");
      }),
      /disk on fire/,
    );
    assert.equal(dedup.size(), 0);
    const { accept, calls } = counting();
    assert.deepEqual(await dedup.once("a", accept), { ok: true });
    assert.equal(calls(), 1);
  });

  test("a windowMs of 0 disables deduplication: accept runs every time", async () => {
    const dedup = make(manualClock(), 0);
    const { accept, calls } = counting();
    for (let i = 0; i < 3; i++) assert.deepEqual(await dedup.once("a", accept), { ok: true });
    assert.equal(calls(), 3);
    assert.equal(dedup.size(), 0);
  });
});

describe("createDedup().once() answers duplicates at the end of the event loop's turn", () => {
  // Issue 10: answered in a microtask, each duplicate's reply was written in the middle of the turn's
  // reads, and a redelivery cost more than a new event. Now they resolve together in the check phase.
  test("duplicates do not resolve within the turn's microtasks, and resolve together before an immediate queued after them", async () => {
    const dedup = make();
    const { accept, calls } = counting();
    await dedup.once("a", accept);
    await dedup.once("b", accept);
    const order: string[] = [];
    const first = dedup.once("a", accept).then((result) => void order.push(`a: ${String(result)}`));
    const second = dedup.once("b", accept).then((result) => void order.push(`b: ${String(result)}`));
    const later = new Promise<void>((resolve) => setImmediate(() => resolve(void order.push("an immediate queued after"))));
    for (let i = 0; i < 100; i++) await Promise.resolve();
    assert.deepEqual(order, [], "a duplicate must not be answered before the turn ends");
    await Promise.all([first, second, later]);
    assert.deepEqual(order, ["a: duplicate", "b: duplicate", "an immediate queued after"]);
    assert.equal(calls(), 2, "a duplicate does not run accept");
  });
});

describe("createDedup().once() with concurrent calls for one id", () => {
  test("while the first call is in flight and then succeeds, the others are duplicates and accept ran once", async () => {
    const dedup = make();
    const gate = deferred<Outcome>();
    let calls = 0;
    const accept = (): Promise<Outcome> => {
      calls++;
      return gate.promise;
    };
    const first = dedup.once("a", accept);
    const others = [dedup.once("a", accept), dedup.once("a", accept), dedup.once("a", accept)];
    await settle();
    assert.equal(calls, 1, "the waiting calls must not run accept while the first is in flight");
    gate.resolve({ ok: true });
    assert.deepEqual(await first, { ok: true });
    assert.deepEqual(await Promise.all(others), ["duplicate", "duplicate", "duplicate"]);
    assert.equal(calls, 1);
  });

  test("while the first call is in flight and then fails, every waiting call gets that same failure at once", async () => {
    const dedup = make();
    const gates = [deferred<Outcome>(), deferred<Outcome>()];
    let calls = 0;
    const accept = (): Promise<Outcome> => (gates[calls++] as Deferred<Outcome>).promise;
    const first = dedup.once("a", accept);
    const waiting = [dedup.once("a", accept), dedup.once("a", accept), dedup.once("a", accept)];
    await settle();
    assert.equal(calls, 1);

    (gates[0] as Deferred<Outcome>).resolve({ ok: false, n: 1 });
    assert.deepEqual(await first, { ok: false, n: 1 });
    // Not one after another (each waiting out its own attempt, far past any deadline): all at once.
    assert.deepEqual(await Promise.all(waiting), [{ ok: false, n: 1 }, { ok: false, n: 1 }, { ok: false, n: 1 }]);
    assert.equal(calls, 1);

    // Nothing was remembered: the next delivery (Telnyx's retry) runs accept again.
    const retry = dedup.once("a", accept);
    (gates[1] as Deferred<Outcome>).resolve({ ok: true, n: 2 });
    assert.deepEqual(await retry, { ok: true, n: 2 });
    assert.equal(calls, 2);
  });

  test("while the first call is in flight and then throws, the waiting calls reject too, and the id is not poisoned", async () => {
    const dedup = make();
    const gate = deferred<Outcome>();
    const first = dedup.once("a", () => gate.promise);
    const waiting = dedup.once("a", () => Promise.resolve({ ok: true }));
    await settle();
    gate.reject(new Error("boom"));
    await assert.rejects(first, /boom/);
    await assert.rejects(waiting, /boom/);
    const other = counting();
    assert.deepEqual(await dedup.once("a", other.accept), { ok: true });
    assert.equal(other.calls(), 1);
  });

  test("calls for different ids are not serialised behind each other", async () => {
    const dedup = make();
    const gate = deferred<Outcome>();
    let calls = 0;
    const blocked = dedup.once("a", () => {
      calls++;
      return gate.promise;
    });
    const other = counting();
    assert.deepEqual(await dedup.once("b", other.accept), { ok: true });
    assert.equal(other.calls(), 1);
    gate.resolve({ ok: true });
    await blocked;
    assert.equal(calls, 1);
  });
});

describe("createDedup() memory bound", () => {
  test("maxEntries bounds size(), forgetting the oldest ids first", async () => {
    const clock = manualClock();
    const dedup = make(clock, WINDOW, 3);
    for (const id of ["a", "b", "c", "d", "e"]) {
      await dedup.once(id, counting().accept);
      clock.advance(1);
      assert.ok(dedup.size() <= 3, `size ${dedup.size()} after ${id}`);
    }
    assert.equal(dedup.size(), 3);
    // The newest three are still duplicates…
    for (const id of ["c", "d", "e"]) assert.equal(await dedup.once(id, counting().accept), "duplicate", id);
    // …the oldest two were forgotten, so accept runs for them again.
    const again = counting();
    assert.deepEqual(await dedup.once("a", again.accept), { ok: true });
    assert.equal(again.calls(), 1);
  });

  test("ids outside the window are dropped from memory when a new id is remembered", async () => {
    const clock = manualClock();
    const dedup = make(clock);
    await dedup.once("a", counting().accept);
    await dedup.once("b", counting().accept);
    assert.equal(dedup.size(), 2);
    clock.advance(WINDOW);
    await dedup.once("c", counting().accept);
    assert.equal(dedup.size(), 1);
  });
});

describe("createDedup().remember()", () => {
  test("remember(id, at) with an `at` older than the window does not make a later call a duplicate", async () => {
    const clock = manualClock();
    const dedup = make(clock);
    dedup.remember("a", clock.now() - WINDOW - 1);
    const { accept, calls } = counting();
    assert.deepEqual(await dedup.once("a", accept), { ok: true });
    assert.equal(calls(), 1);
  });

  test("remember(id, at) with a recent `at` makes a later call a duplicate until the window from `at` ends", async () => {
    const clock = manualClock();
    const dedup = make(clock);
    dedup.remember("a", clock.now() - WINDOW / 2);
    const { accept, calls } = counting();
    assert.equal(await dedup.once("a", accept), "duplicate");
    assert.equal(calls(), 0);
    // The window counts from `at`, not from the call to remember().
    clock.advance(WINDOW / 2);
    assert.deepEqual(await dedup.once("a", accept), { ok: true });
    assert.equal(calls(), 1);
  });

  test(
    "remember(id, at) with an `at` outside the window takes no room, so it cannot push out an id still in the window",
    async () => {
      const clock = manualClock();
      const dedup = make(clock, WINDOW, 2);
      dedup.remember("fresh", clock.now());
      dedup.remember("expired", clock.now() - 2 * WINDOW);
      assert.equal(dedup.size(), 1, "an expired id is not remembered");
      await dedup.once("new", counting().accept);
      assert.equal(await dedup.once("fresh", counting().accept), "duplicate");
    },
  );

  test("remember() with a windowMs of 0 remembers nothing", async () => {
    const clock = manualClock();
    const dedup = make(clock, 0);
    dedup.remember("a", clock.now());
    assert.equal(dedup.size(), 0);
    const { accept, calls } = counting();
    assert.deepEqual(await dedup.once("a", accept), { ok: true });
    assert.equal(calls(), 1);
  });
});
