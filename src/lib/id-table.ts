import { createHash } from "node:crypto";

/** Ids with the time each was accepted, oldest first, in a fixed amount of memory. */
export interface IdTable {
  /** When `id` was added last, or undefined if it is not (or no longer) held. */
  get(id: string): number | undefined;
  /** Holds `id` as added at `at` (ms), replacing an earlier entry for it; forgets the oldest when full. */
  add(id: string, at: number): void;
  /** Forgets, oldest first, every entry added at or before `cutoff`. */
  forgetUntil(cutoff: number): void;
  size(): number;
}

const HEX_ID = /^[0-9a-f]{32}$/;
const FIRST_CAPACITY = 1024;

/**
 * Makes the table behind deduplication: a ring of 128-bit keys and times in acceptance order, and an
 * open-addressing index into it, all in typed arrays. An id costs 32 bytes and the garbage collector
 * sees a handful of objects, whatever the count; a Map of strings cost ~430 bytes an id and kept
 * hundreds of thousands of objects alive for V8 to trace and promote (measured: it made V8 grow the
 * young generation to 128 MB under load). Memory grows with use, by doubling, up to `maxEntries`.
 *
 * Event ids are 32 hex digits of SHA-256 and are stored as their 128 bits; any other string is
 * hashed to 128 bits first.
 *
 * @param maxEntries The most entries held; past it, the oldest is forgotten for each new one. An id
 *   added again leaves its old entry in place, marked replaced, until it is the oldest or a quarter
 *   of the table is such entries: so the ids held may be up to a quarter fewer than `maxEntries`.
 * @returns An empty table.
 * @example
 * ```ts
 * const table = createIdTable(250_000);
 * table.add("0123456789abcdef0123456789abcdef", Date.now());
 * table.get("0123456789abcdef0123456789abcdef"); // the time it was added
 * ```
 */
export function createIdTable(maxEntries: number): IdTable {
  // One closure of ~130 lines on purpose: the ring, the index and their growth are one data
  // structure over shared typed arrays; split into functions, each would take all of them.
  let capacity = Math.min(FIRST_CAPACITY, maxEntries);
  // The ring: entry i has key words keys[4i..4i+3] and time times[i]; NaN marks an entry replaced
  // by a later add of the same id. `head` is the oldest entry, `count` the entries in the ring.
  let keys = new Int32Array(capacity * 4);
  let times = new Float64Array(capacity);
  let head = 0;
  let count = 0;
  let live = 0;
  // The index: open addressing with linear probing; a slot holds a ring position + 1, 0 is empty.
  let slots = new Int32Array(indexSize(capacity));
  let mask = slots.length - 1;
  const key = new Int32Array(4);

  const loadKey = (id: string): void => {
    if (id.length === 32 && HEX_ID.test(id)) {
      for (let w = 0; w < 4; w++) key[w] = Number.parseInt(id.slice(w * 8, w * 8 + 8), 16) | 0;
      return;
    }
    const digest = createHash("sha256").update(id).digest();
    for (let w = 0; w < 4; w++) key[w] = digest.readInt32BE(w * 4);
  };

  const sameKey = (position: number): boolean =>
    keys[position * 4] === key[0] && keys[position * 4 + 1] === key[1] && keys[position * 4 + 2] === key[2] && keys[position * 4 + 3] === key[3];

  // The index slot that holds the key now in `key`, or of the empty slot that ends its probe.
  const findSlot = (): number => {
    let slot = (key[0] as number) & mask;
    for (;;) {
      const held = slots[slot] as number;
      if (held === 0 || sameKey(held - 1)) return slot;
      slot = (slot + 1) & mask;
    }
  };

  const slotOf = (position: number): number => {
    let slot = (keys[position * 4] as number) & mask;
    while (slots[slot] !== position + 1) slot = (slot + 1) & mask;
    return slot;
  };

  // Removes one slot and shifts later entries of its probe run back, so no probe ever stops short.
  const clearSlot = (hole: number): void => {
    let next = (hole + 1) & mask;
    for (;;) {
      const held = slots[next] as number;
      if (held === 0) break;
      const home = (keys[(held - 1) * 4] as number) & mask;
      // Move it into the hole unless its home lies cyclically within (hole, next].
      const stays = hole <= next ? home > hole && home <= next : home > hole || home <= next;
      if (!stays) {
        slots[hole] = held;
        hole = next;
      }
      next = (next + 1) & mask;
    }
    slots[hole] = 0;
  };

  const dropOldest = (): void => {
    if (!Number.isNaN(times[head] as number)) {
      clearSlot(slotOf(head));
      live--;
    }
    head = (head + 1) % capacity;
    count--;
  };

  // Copies the live entries, oldest first, into arrays of `bigger` entries and indexes them anew.
  const rebuild = (bigger: number): void => {
    const oldKeys = keys;
    const oldTimes = times;
    const oldCapacity = capacity;
    keys = new Int32Array(bigger * 4);
    times = new Float64Array(bigger);
    slots = new Int32Array(indexSize(bigger));
    mask = slots.length - 1;
    let kept = 0;
    for (let i = 0; i < count; i++) {
      const from = (head + i) % oldCapacity;
      if (Number.isNaN(oldTimes[from] as number)) continue;
      keys.set(oldKeys.subarray(from * 4, from * 4 + 4), kept * 4);
      times[kept] = oldTimes[from] as number;
      let slot = (keys[kept * 4] as number) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = kept + 1;
      kept++;
    }
    capacity = bigger;
    head = 0;
    count = kept;
  };

  return {
    get(id) {
      loadKey(id);
      const held = slots[findSlot()] as number;
      return held === 0 ? undefined : times[held - 1];
    },
    add(id, at) {
      loadKey(id);
      const slot = findSlot();
      const held = slots[slot] as number;
      if (held !== 0) {
        // Seen before: the old ring entry stays where it is, marked replaced, until it is the oldest.
        times[held - 1] = Number.NaN;
        clearSlot(slot);
        live--;
      }
      if (count === capacity) {
        if (capacity < maxEntries) rebuild(Math.min(capacity * 2, maxEntries));
        // Replaced entries take room in the ring but are not ids held: squeeze them out when they
        // are a quarter of it (a copy of the whole table, so not for every one), else the oldest goes.
        else if ((count - live) * 4 >= capacity) rebuild(capacity);
        else dropOldest();
      }
      const position = (head + count) % capacity;
      keys.set(key, position * 4);
      times[position] = at;
      count++;
      live++;
      // Growing or dropping may have moved slots: probe again for the empty one.
      slots[findSlot()] = position + 1;
    },
    forgetUntil(cutoff) {
      while (count > 0 && !((times[head] as number) > cutoff)) dropOldest();
    },
    size: () => live,
  };
}

/** A power of two at least twice `capacity`, so probes stay short. */
function indexSize(capacity: number): number {
  let size = 2;
  while (size < capacity * 2) size *= 2;
  return size;
}
