import assert from "node:assert/strict";
import { test } from "node:test";
import { createDeadlineWaits } from "../../src/lib/deadline-waits.ts";
import { until } from "../support/wait.ts";

test("a wait taken before its deadline is not late; one left past its deadline is handed to `late` once", async () => {
  const late: string[] = [];
  const waits = createDeadlineWaits<number, string>(10, (value) => late.push(value));
  waits.add(1, "in time", Date.now() + 60_000);
  waits.add(2, "late", Date.now() - 1);
  assert.equal(waits.take(1), "in time");
  assert.equal(waits.take(1), undefined, "taken once");
  await until(() => late.length > 0, "the sweep");
  assert.deepEqual(late, ["late"]);
  assert.equal(waits.take(2), undefined, "a late wait is gone");
});

test("takeAll() gives every value still waiting and leaves none", () => {
  const waits = createDeadlineWaits<string, number>(10, () => assert.fail("nothing is late"));
  waits.add("a", 1, Date.now() + 60_000);
  waits.add("b", 2, Date.now() + 60_000);
  assert.deepEqual(waits.takeAll().sort(), [1, 2]);
  assert.deepEqual(waits.takeAll(), []);
  assert.equal(waits.take("a"), undefined);
});
