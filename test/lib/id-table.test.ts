import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { createIdTable } from "../../src/lib/id-table.ts";
import { mulberry32 } from "../support/random.ts";

/**
 * The same contract, kept the obvious way: a Map, and an array of entries in insertion order where
 * an id added again leaves its old entry, marked replaced, until it is dropped from the front or
 * the replaced entries are a quarter of a full table and are squeezed out. Like the table, it starts
 * with room for 1024 entries and doubles up to maxEntries, squeezing replaced entries out as it grows.
 */
function model(maxEntries: number) {
  let capacity = Math.min(1024, maxEntries);
  const at = new Map<string, number>();
  let order: Array<{ id: string; time: number; replaced: boolean }> = [];
  const dropFront = (): void => {
    const entry = order.shift() as { id: string; time: number; replaced: boolean };
    if (!entry.replaced) at.delete(entry.id);
  };
  return {
    get: (id: string) => at.get(id),
    add(id: string, time: number) {
      const previous = order.find((entry) => entry.id === id && !entry.replaced);
      if (previous) previous.replaced = true;
      at.set(id, time);
      if (order.length === capacity) {
        const replaced = order.filter((entry) => entry.replaced).length;
        if (capacity < maxEntries) {
          capacity = Math.min(capacity * 2, maxEntries);
          order = order.filter((entry) => !entry.replaced);
        } else if (replaced * 4 >= capacity) order = order.filter((entry) => !entry.replaced);
        else dropFront();
      }
      order.push({ id, time, replaced: false });
    },
    forgetUntil(cutoff: number) {
      while (order.length > 0 && ((order[0] as { replaced: boolean }).replaced || (order[0] as { time: number }).time <= cutoff)) dropFront();
    },
    size: () => at.size,
  };
}

const hex = (n: number, prefix = ""): string => (prefix + n.toString(16)).padStart(32, "0");

describe("createIdTable()", () => {
  test("get() answers the time of the latest add(), and undefined for an id never added", () => {
    const table = createIdTable(10);
    table.add(hex(1), 100);
    table.add("not-a-hex-id", 200);
    assert.equal(table.get(hex(1)), 100);
    assert.equal(table.get("not-a-hex-id"), 200);
    assert.equal(table.get(hex(2)), undefined);
    table.add(hex(1), 300);
    assert.equal(table.get(hex(1)), 300);
    assert.equal(table.size(), 2);
  });

  test("a hex id and an upper-case spelling of it are different ids", () => {
    const table = createIdTable(10);
    table.add("abcdef0123456789abcdef0123456789", 1);
    assert.equal(table.get("ABCDEF0123456789ABCDEF0123456789"), undefined);
  });

  test("past maxEntries the oldest id is forgotten for each new one", () => {
    const table = createIdTable(3);
    for (let i = 0; i < 5; i++) table.add(hex(i), i);
    assert.equal(table.size(), 3);
    assert.deepEqual([0, 1, 2, 3, 4].map((i) => table.get(hex(i))), [undefined, undefined, 2, 3, 4]);
  });

  test("forgetUntil() forgets the entries added at or before the cutoff, oldest first", () => {
    const table = createIdTable(100);
    for (let i = 0; i < 10; i++) table.add(hex(i), i * 10);
    table.forgetUntil(40);
    assert.equal(table.size(), 5);
    assert.equal(table.get(hex(4)), undefined);
    assert.equal(table.get(hex(5)), 50);
  });

  test("ids that share an index slot (same first 32 bits) are all found, and forgetting one keeps the others", () => {
    const table = createIdTable(64);
    const ids = Array.from({ length: 40 }, (_, i) => `deadbeef${i.toString(16).padStart(24, "0")}`);
    ids.forEach((id, i) => table.add(id, i));
    ids.forEach((id, i) => assert.equal(table.get(id), i, id));
    table.forgetUntil(19);
    ids.forEach((id, i) => assert.equal(table.get(id), i < 20 ? undefined : i, id));
  });

  for (const [maxEntries, seed] of [
    [1, 1],
    [7, 2],
    [1000, 3],
    [3000, 4],
    [5000, 5],
  ] as const) {
    test(`agrees with a Map-based model over 20,000 random operations (maxEntries ${maxEntries}, seed ${seed})`, () => {
      const random = mulberry32(seed);
      const table = createIdTable(maxEntries);
      const reference = model(maxEntries);
      let time = 0;
      // Few distinct ids, some sharing their first 32 bits, so re-adds, collisions and wrap-around all happen.
      const idOf = (n: number): string => (n % 3 === 0 ? `0000ffff${hex(n).slice(8)}` : n % 5 === 0 ? `other-id-${n}` : hex(n * 2654435761));
      for (let step = 0; step < 20_000; step++) {
        const roll = random();
        const id = idOf(Math.floor(random() * maxEntries * 3 + 1));
        if (roll < 0.55) {
          time += Math.floor(random() * 3);
          table.add(id, time);
          reference.add(id, time);
        } else if (roll < 0.95) {
          assert.equal(table.get(id), reference.get(id), `get(${id}) at step ${step}`);
        } else {
          const cutoff = time - Math.floor(random() * 50);
          table.forgetUntil(cutoff);
          reference.forgetUntil(cutoff);
        }
        assert.equal(table.size(), reference.size(), `size at step ${step}`);
      }
    });
  }
});
