import assert from "node:assert/strict";
import { duplexPair } from "node:stream";
import { describe, test } from "node:test";
import type { EncodedEvent } from "../../src/pipeline/cloud-event.ts";
import { reject, type Rejection } from "../../src/pipeline/rejection.ts";
import type { Delivered } from "../../src/sinks/sink.ts";
import { connectToPrimary, serveWorker } from "../../src/workers/channel.ts";

const event = (n: number): EncodedEvent => ({ id: n.toString(16).padStart(32, "0"), json: JSON.stringify({ n, text: "a\nb \u2028 😀" }) });
type Outcome = Delivered | Rejection | "duplicate";

/** Waits until `condition` holds (a bound on the wait, not a timing assertion). */
async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Both ends over an in-memory socket pair; the primary answers with `answer`. */
function link(answer: (event: EncodedEvent) => Promise<Outcome>, answerTimeoutMs = 5_000) {
  const [primarySide, workerSide] = duplexPair();
  const seen: EncodedEvent[] = [];
  let listening = 0;
  const garbled: string[] = [];
  const served = serveWorker(primarySide, (received) => {
    seen.push(received);
    return answer(received);
  }, { listening: () => void listening++, garbled: (line) => void garbled.push(line) });
  const primary = connectToPrimary(workerSide, answerTimeoutMs);
  return { primary, served, seen, listening: () => listening, garbled, primarySide, workerSide };
}

describe("the channel between a worker and the primary", () => {
  test("events reach the primary intact, and each gets its own answer back, in any order", async () => {
    const outcomes: Outcome[] = [{ ok: true }, "duplicate", reject("spool_full", "the spool is full")];
    const { primary, seen } = link(async (received) => {
      const n = JSON.parse(received.json).n as number;
      // Answer later events first.
      await new Promise((resolve) => setTimeout(resolve, (3 - n) * 10));
      return outcomes[n] as Outcome;
    });
    const answers = await Promise.all([0, 1, 2].map((n) => primary.handOn(event(n))));
    assert.deepEqual(answers, outcomes);
    assert.deepEqual(seen.map((received) => received.json), [0, 1, 2].map((n) => event(n).json));
    assert.deepEqual(seen.map((received) => received.id), [0, 1, 2].map((n) => event(n).id));
  });

  test("a primary that throws answers sink_unavailable", async () => {
    const { primary } = link(async () => {
      throw new Error("boom");
    });
    const answer = await primary.handOn(event(1));
    assert.equal(answer !== "duplicate" && !answer.ok && answer.reason, "sink_unavailable");
  });

  test("an event the primary does not answer in time is refused with sink_unavailable", async () => {
    const { primary } = link(() => new Promise<Outcome>(() => {}), 100);
    const answer = await primary.handOn(event(1));
    assert.ok(answer !== "duplicate" && !answer.ok);
    assert.equal(answer.reason, "sink_unavailable");
    assert.match(answer.detail, /did not answer within 100 ms/);
  });

  test("when the channel closes, waiting and later events are refused, and `closed` resolves", async () => {
    const { primary, primarySide } = link(() => new Promise<Outcome>(() => {}));
    const waiting = primary.handOn(event(1));
    primarySide.end();
    await primary.closed;
    for (const answer of [await waiting, await primary.handOn(event(2))]) {
      assert.ok(answer !== "duplicate" && !answer.ok);
      assert.equal(answer.reason, "sink_unavailable");
    }
    assert.equal(primary.ready(), false);
  });

  test("the worker's listening and the primary's readiness cross the channel", async () => {
    const { primary, served, listening } = link(async () => ({ ok: true }));
    primary.listening();
    served.setReady(false);
    await until(() => listening() === 1 && !primary.ready());
    served.setReady(true);
    await until(() => primary.ready());
  });

  test("a line that is not a frame is reported, not acted on", async () => {
    const { garbled, seen, workerSide } = link(async () => ({ ok: true }));
    workerSide.write("hello\n");
    await until(() => garbled.length > 0);
    assert.deepEqual(garbled, ["hello"]);
    assert.equal(seen.length, 0);
  });
});
