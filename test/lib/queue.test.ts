import assert from "node:assert/strict";
import { test } from "node:test";
import { createQueue } from "../../src/lib/queue.ts";

test("createQueue() gives items back in the order they were pushed, across its compactions", () => {
  const queue = createQueue<number>();
  let next = 0;
  let expected = 0;
  // Interleave pushes and shifts so the queue grows past its compaction threshold, drains, and grows again.
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 5_000; i++) queue.push(next++);
    for (let i = 0; i < 3_000; i++) assert.equal(queue.shift(), expected++);
    assert.equal(queue.size(), next - expected);
  }
  while (queue.size() > 0) assert.equal(queue.shift(), expected++);
  assert.equal(expected, next);
  assert.equal(queue.shift(), undefined);
});

test("clear() empties it", () => {
  const queue = createQueue<string>();
  queue.push("a");
  queue.push("b");
  queue.clear();
  assert.equal(queue.size(), 0);
  assert.equal(queue.shift(), undefined);
  queue.push("c");
  assert.equal(queue.shift(), "c");
});
