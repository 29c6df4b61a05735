import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { appendFile, readdir, readFile, stat, truncate, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, test } from "node:test";
import { openJournal, type Journal, type SpooledEvent } from "../../src/spool/journal.ts";
import { encodeRecord, HEADER_BYTES } from "../../src/spool/record.ts";
import { clock, event, fsError, ids, options, recordsOf, segmentFiles, smallDisk, tempDir } from "./helpers.ts";

/** A bound on tests whose failure mode is a hang: not a timing assertion, just a way to fail rather than wait for ever. */
const HANG_MS = 10_000;

type Warnings = Array<{ message: string; fields: Record<string, unknown> }>;

/** Size of an event's record plus the ack record reserved for it. */
function footprint(spooled: SpooledEvent): number {
  return encodeRecord({ t: "e", id: spooled.id, at: spooled.acceptedAt, json: spooled.json }).length + encodeRecord({ t: "a", id: spooled.id }).length;
}

async function appendAll(journal: Journal, events: readonly SpooledEvent[]): Promise<void> {
  const results = await Promise.all(events.map((spooled) => journal.append(spooled)));
  assert.deepEqual(new Set(results), new Set(["ok"]));
}

/** Appends one at a time, each in its own commit: small segments then rotate between them. */
async function appendEach(journal: Journal, events: readonly SpooledEvent[]): Promise<void> {
  for (const spooled of events) assert.equal(await journal.append(spooled), "ok");
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

/** Which segment file holds a record of `id` of type `t`. */
async function filesWith(dir: string, t: "e" | "a" | "s", id: string): Promise<string[]> {
  const found: string[] = [];
  for (const name of await segmentFiles(dir)) {
    if ((await recordsOf(join(dir, name))).some((record) => record.t === t && record.id === id)) found.push(name);
  }
  return found;
}

describe("journal round trip", () => {
  test("every appended event comes back from a reopen, in order, with its json and acceptedAt", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    const events = range(0, 50).map((n) => event(n, 1_000 + n));
    const journal = await openJournal(options(dir, warnings, { segmentBytes: 512 }));
    assert.deepEqual(journal.recovered, []);
    await appendEach(journal, events.slice(0, 20));
    await appendAll(journal, events.slice(20));
    assert.equal(journal.depth(), 50);
    await journal.close();
    assert.ok((await segmentFiles(dir)).length > 1, "small segments rotated");

    const reopened = await openJournal(options(dir, warnings, { segmentBytes: 512 }));
    assert.deepEqual(reopened.recovered, events);
    assert.equal(reopened.depth(), 50);
    await reopened.close();
    assert.deepEqual(warnings, []);
  });

  test("acknowledged events do not come back; the others do, in order", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    const events = range(0, 30).map((n) => event(n));
    const journal = await openJournal(options(dir, warnings, { segmentBytes: 400 }));
    await appendEach(journal, events);
    for (const spooled of events) if (Number(spooled.id.slice(4)) % 3 === 0) journal.ack(spooled.id);
    journal.ack(events[0]!.id); // twice: idempotent
    journal.ack("never-appended");
    assert.equal(journal.depth(), 20);
    await journal.close();

    const reopened = await openJournal(options(dir, warnings, { segmentBytes: 400 }));
    assert.deepEqual(ids(reopened.recovered), ids(events.filter((_, n) => n % 3 !== 0)));
    reopened.ack(events[1]!.id);
    await reopened.close();
    const again = await openJournal(options(dir, warnings));
    assert.deepEqual(ids(again.recovered), ids(events.filter((_, n) => n % 3 !== 0 && n !== 1)));
    await again.close();
    assert.deepEqual(warnings, []);
  });

  test("an ack written to a later segment cancels its event in an earlier one", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    const first = range(0, 4).map((n) => event(n));
    const journal = await openJournal(options(dir, warnings, { segmentBytes: 300 }));
    await appendAll(journal, first);
    await appendAll(journal, range(4, 12).map((n) => event(n)));
    journal.ack("evt-0000"); // evt-0001 stays pending, so its segment stays
    await journal.close();

    const [eventFile] = await filesWith(dir, "e", "evt-0000");
    const [ackFile] = await filesWith(dir, "a", "evt-0000");
    assert.ok(eventFile !== undefined && ackFile !== undefined);
    assert.ok(ackFile > eventFile, `ack in ${ackFile}, event in ${eventFile}`);

    const reopened = await openJournal(options(dir, warnings));
    assert.deepEqual(ids(reopened.recovered), range(1, 12).map((n) => event(n).id));
    await reopened.close();
  });

  test("a fully acknowledged segment is kept while it holds acks for an older segment that still has pending events", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    const journal = await openJournal(options(dir, warnings, { segmentBytes: 300 }));
    await appendEach(journal, range(0, 3).map((n) => event(n)));
    journal.ack("evt-0000"); // goes out with evt-0003, in the second segment
    await appendEach(journal, range(3, 9).map((n) => event(n)));
    const [ackFile] = await filesWith(dir, "a", "evt-0000");
    const [eventFile] = await filesWith(dir, "e", "evt-0000");
    assert.ok(ackFile !== undefined && eventFile !== undefined && ackFile > eventFile);
    const ackSegmentEvents = (await recordsOf(join(dir, ackFile))).filter((record) => record.t === "e").map((record) => record.id);
    assert.ok(ackSegmentEvents.length > 0);
    for (const id of ackSegmentEvents) journal.ack(id); // the ack's segment now has nothing pending
    await journal.close();
    assert.ok((await segmentFiles(dir)).includes(ackFile), "the ack's segment is still there");

    const reopened = await openJournal(options(dir, warnings));
    const pendingIds = range(1, 9)
      .map((n) => event(n).id)
      .filter((id) => !ackSegmentEvents.includes(id));
    assert.deepEqual(ids(reopened.recovered), pendingIds);
    assert.ok(!pendingIds.includes("evt-0000"));
    await reopened.close();
    assert.deepEqual(warnings, []);
  });

  test("appending an id that is already pending writes it once and answers \"pending\" when that copy is durable", async (t) => {
    const dir = await tempDir(t);
    const journal = await openJournal(options(dir, []));
    const [a, b] = await Promise.all([journal.append(event(1)), journal.append(event(1))]);
    assert.equal(a, "ok");
    // Told apart from "ok", so the caller does not hand the same id to the deliverer a second time.
    assert.equal(b, "pending");
    assert.equal(await journal.append(event(1)), "pending", "also once the first copy is durable");
    assert.equal(journal.depth(), 1);
    await journal.close();
    assert.deepEqual((await filesWith(dir, "e", "evt-0001")).length, 1);
    const [name] = await segmentFiles(dir);
    assert.equal((await recordsOf(join(dir, name!))).length, 1);
  });

  test("append after close rejects; ack after close is ignored", async (t) => {
    const dir = await tempDir(t);
    const journal = await openJournal(options(dir, []));
    await journal.append(event(1));
    await journal.close();
    await assert.rejects(journal.append(event(2)), /closed/);
    journal.ack("evt-0001");
    assert.equal(journal.depth(), 1);
  });

  test("append rejects an event that could not be read back, and writes nothing for it", async (t) => {
    const dir = await tempDir(t);
    const journal = await openJournal(options(dir, []));
    await assert.rejects(journal.append({ id: "", json: "{}", acceptedAt: 1 }), TypeError);
    await assert.rejects(journal.append({ id: "x", json: "{}", acceptedAt: Number.NaN }), TypeError);
    assert.equal(journal.depth(), 0);
    assert.equal(await journal.append(event(1)), "ok");
    await journal.close();
    const reopened = await openJournal(options(dir, []));
    assert.deepEqual(ids(reopened.recovered), ["evt-0001"]);
    await reopened.close();
  });

  test("openJournal() creates a missing directory, recursively", async (t) => {
    const dir = join(await tempDir(t), "a", "b");
    const journal = await openJournal(options(dir, []));
    assert.equal(await journal.append(event(1)), "ok");
    await journal.close();
    assert.equal((await segmentFiles(dir)).length, 1);
  });
});

describe("group commit", () => {
  test("commitSince() says when the commit in flight started (a disk that hangs shows), and nothing once it is done", async (t) => {
    const dir = await tempDir(t);
    const time = clock(5_000);
    let inFlight: (() => void) | undefined;
    const journal = await openJournal(
      options(dir, [], {
        now: time.now,
        datasync: (flush) =>
          new Promise<void>((resolve, reject) => {
            inFlight = () => flush().then(resolve, reject);
          }),
      }),
    );
    assert.equal(journal.commitSince(), undefined);
    const appended = journal.append(event(1, 5_000));
    while (inFlight === undefined) await new Promise((resolve) => setImmediate(resolve));
    time.set(9_000);
    assert.equal(journal.commitSince(), 5_000, "started at 5 s, still in flight at 9 s");
    inFlight();
    assert.equal(await appended, "ok");
    assert.equal(journal.commitSince(), undefined);
    await journal.close();
  });

  test("200 appends made together all resolve after one write and one fdatasync", async (t) => {
    const dir = await tempDir(t);
    let syncs = 0;
    const journal = await openJournal(
      options(dir, [], {
        datasync: (flush) => {
          syncs++;
          return flush();
        },
      }),
    );
    await appendAll(journal, range(0, 200).map((n) => event(n)));
    // They were all queued in one turn of the event loop, so they share the first commit.
    assert.equal(syncs, 1);
    assert.equal(journal.depth(), 200);
    await journal.close();
    const [name] = await segmentFiles(dir);
    assert.deepEqual(
      (await recordsOf(join(dir, name!))).map((record) => record.id),
      range(0, 200).map((n) => event(n).id),
    );
  });

  test("200 appends arriving over many turns share far fewer than 200 fdatasyncs", async (t) => {
    const dir = await tempDir(t);
    let syncs = 0;
    const journal = await openJournal(
      options(dir, [], {
        datasync: (flush) => {
          syncs++;
          return flush();
        },
      }),
    );
    const results: Array<Promise<"ok" | "full" | "pending">> = [];
    for (const wave of range(0, 20)) {
      for (const n of range(wave * 10, wave * 10 + 10)) results.push(journal.append(event(n)));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(new Set(await Promise.all(results)), new Set(["ok"]));
    // Each wave of 10 is queued in one turn: at most one commit per wave, fewer when waves pile up behind an fdatasync.
    assert.ok(syncs <= 20, `${syncs} fdatasyncs for 200 appends`);
    await journal.close();
  });

  test("appends made while a commit is in flight wait for it, then go out together in one more commit", async (t) => {
    const dir = await tempDir(t);
    const log: string[] = [];
    let syncs = 0;
    const entered = Promise.withResolvers<void>();
    const gate = Promise.withResolvers<void>();
    const journal = await openJournal(
      options(dir, [], {
        datasync: async (flush) => {
          const n = ++syncs;
          log.push(`sync ${n} start`);
          if (n === 1) {
            entered.resolve();
            await gate.promise;
          }
          await flush();
          log.push(`sync ${n} done`);
        },
      }),
    );
    const first = journal.append(event(0)).then((result) => log.push(`append 0 ${result}`));
    await entered.promise;
    const later = range(1, 21).map((n) => journal.append(event(n)).then((result) => log.push(`append ${n} ${result}`)));
    journal.ack("evt-0000"); // an ack queued meanwhile rides with them
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(log, ["sync 1 start"], "nothing resolves while the fdatasync is held");

    gate.resolve();
    await Promise.all([first, ...later]);
    assert.equal(syncs, 2);
    assert.deepEqual(log.slice(0, 4), ["sync 1 start", "sync 1 done", "append 0 ok", "sync 2 start"]);
    assert.equal(log[4], "sync 2 done");
    assert.deepEqual(log.slice(5).sort(), range(1, 21).map((n) => `append ${n} ok`).sort());
    await journal.close();
    assert.equal(syncs, 2, "close had nothing left to write");
    const [name] = await segmentFiles(dir);
    assert.deepEqual(
      (await recordsOf(join(dir, name!))).map((record) => `${record.t} ${record.id}`),
      ["e evt-0000", ...range(1, 21).map((n) => `e ${event(n).id}`), "a evt-0000"],
    );
  });

  test("an ack alone is written and made durable by the next commit, not one per ack", async (t) => {
    const dir = await tempDir(t);
    let syncs = 0;
    const journal = await openJournal(
      options(dir, [], {
        datasync: (flush) => {
          syncs++;
          return flush();
        },
      }),
    );
    await appendAll(journal, range(0, 10).map((n) => event(n)));
    assert.equal(syncs, 1);
    for (const n of range(0, 10)) journal.ack(event(n).id);
    assert.equal(journal.depth(), 0);
    await journal.close();
    assert.equal(syncs, 2);
  });
});

describe("torn tail", () => {
  test("a last segment cut mid-record is truncated to its last whole record, with a warning, and appends go on", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    const events = range(0, 5).map((n) => event(n));
    const journal = await openJournal(options(dir, warnings));
    await appendAll(journal, events);
    await journal.close();
    const [name] = await segmentFiles(dir);
    const path = join(dir, name!);
    const size = (await stat(path)).size;
    const lastRecord = encodeRecord({ t: "e", id: events[4]!.id, at: 1_000, json: events[4]!.json }).length;
    await truncate(path, size - 7);

    const reopened = await openJournal(options(dir, warnings));
    assert.deepEqual(reopened.recovered, events.slice(0, 4));
    assert.equal((await stat(path)).size, size - lastRecord);
    assert.equal(warnings.length, 1);
    assert.equal(warnings[0]!.message, "spool: torn tail truncated");
    assert.equal(warnings[0]!.fields.segment, name);
    assert.equal(await reopened.append(event(5)), "ok");
    await reopened.close();

    const again = await openJournal(options(dir, warnings));
    assert.deepEqual(ids(again.recovered), ids([...events.slice(0, 4), event(5)]));
    assert.equal(warnings.length, 1, "the repair held: no warning the second time");
    await again.close();
  });

  test("garbage after the last record is truncated away, with a warning; every record before it is recovered", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    const events = range(0, 5).map((n) => event(n));
    const journal = await openJournal(options(dir, warnings));
    await appendAll(journal, events);
    await journal.close();
    const [name] = await segmentFiles(dir);
    const path = join(dir, name!);
    const size = (await stat(path)).size;
    await appendFile(path, Buffer.from([0, 0, 0, 9, 1, 2, 3, 4, 0x7b, 0x22, 0xff, 0, 0, 0, 0, 0, 0]));

    const reopened = await openJournal(options(dir, warnings));
    assert.deepEqual(reopened.recovered, events);
    assert.equal((await stat(path)).size, size);
    assert.deepEqual(
      warnings.map(({ message }) => message),
      ["spool: torn tail truncated"],
    );
    assert.equal(await reopened.append(event(5)), "ok");
    await reopened.close();
    const again = await openJournal(options(dir, warnings));
    assert.equal(again.recovered.length, 6);
    await again.close();
  });

  test("a zero-filled tail (a crash after the file grew, before its data landed) is truncated too", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    const journal = await openJournal(options(dir, warnings));
    await appendAll(journal, [event(1)]);
    await journal.close();
    const [name] = await segmentFiles(dir);
    await appendFile(join(dir, name!), Buffer.alloc(4096));
    const reopened = await openJournal(options(dir, warnings));
    assert.deepEqual(ids(reopened.recovered), ["evt-0001"]);
    assert.equal(warnings.length, 1);
    await reopened.close();
  });
});

describe("corrupt segment", () => {
  async function threeSegments(dir: string): Promise<string[]> {
    const journal = await openJournal(options(dir, [], { segmentBytes: 400 }));
    for (const n of range(0, 12)) assert.equal(await journal.append(event(n)), "ok");
    await journal.close();
    const names = await segmentFiles(dir);
    assert.ok(names.length >= 3, `${names.length} segments`);
    return names;
  }

  test("a flipped byte in a middle segment sets it aside as .bad, with a warning; the other segments and its intact records are recovered", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    const names = await threeSegments(dir);
    const middle = names[1]!;
    const middleRecords = await recordsOf(join(dir, middle));
    const data = await readFile(join(dir, middle));
    const firstSize = encodeRecord(middleRecords[0]!).length;
    data[firstSize + HEADER_BYTES + 20]! ^= 0x01; // inside the second record's payload
    await writeFile(join(dir, middle), data);
    const lost = middleRecords[1]!.id;

    const reopened = await openJournal(options(dir, warnings));
    assert.deepEqual(
      ids(reopened.recovered),
      range(0, 12)
        .map((n) => event(n).id)
        .filter((id) => id !== lost),
    );
    assert.deepEqual(
      warnings.map(({ message }) => message),
      ["spool: corrupt segment set aside"],
    );
    assert.equal(warnings[0]!.fields.segment, middle);
    const listing = await readdir(dir);
    assert.ok(listing.includes(`${middle}.bad`));
    assert.ok(!listing.includes(middle));
    await reopened.close();

    // What was salvaged from it was written again: a second reopen finds the same, with no warning.
    const again = await openJournal(options(dir, warnings));
    assert.equal(again.recovered.length, 11);
    assert.equal(warnings.length, 1);
    await again.close();
  });

  test("damage in the middle of the last segment, with intact records after it, is set aside rather than truncated", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    const journal = await openJournal(options(dir, warnings));
    await appendAll(journal, range(0, 5).map((n) => event(n)));
    await journal.close();
    const [name] = await segmentFiles(dir);
    const data = await readFile(join(dir, name!));
    data[HEADER_BYTES + 10]! ^= 0x40; // the first record
    await writeFile(join(dir, name!), data);

    const reopened = await openJournal(options(dir, warnings));
    assert.deepEqual(ids(reopened.recovered), range(1, 5).map((n) => event(n).id));
    assert.deepEqual(
      warnings.map(({ message }) => message),
      ["spool: corrupt segment set aside"],
    );
    assert.ok((await readdir(dir)).includes(`${name}.bad`));
    await reopened.close();
  });

  test("an ack salvaged from a set-aside segment still cancels its event in an earlier segment", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    const journal = await openJournal(options(dir, warnings, { segmentBytes: 300 }));
    await appendAll(journal, range(0, 4).map((n) => event(n)));
    await appendAll(journal, range(4, 8).map((n) => event(n)));
    journal.ack("evt-0000");
    await appendAll(journal, [event(8)]); // the ack goes out in this commit, in a later segment
    await appendEach(journal, range(9, 13).map((n) => event(n)));
    await journal.close();
    const [ackFile] = await filesWith(dir, "a", "evt-0000");
    const [eventFile] = await filesWith(dir, "e", "evt-0000");
    assert.ok(ackFile !== undefined && eventFile !== undefined && ackFile > eventFile);
    const names = await segmentFiles(dir);
    assert.ok(ackFile !== names.at(-1), "the ack's segment is not the last one");
    // Damage the ack's segment after the ack record.
    const records = await recordsOf(join(dir, ackFile));
    const ackIndex = records.findIndex((record) => record.t === "a");
    assert.ok(ackIndex >= 0 && ackIndex < records.length - 1, "a record follows the ack");
    const data = await readFile(join(dir, ackFile));
    const offset = records.slice(0, ackIndex + 1).reduce((sum, record) => sum + encodeRecord(record).length, 0);
    data[offset + HEADER_BYTES + 12]! ^= 0x02;
    await writeFile(join(dir, ackFile), data);

    const reopened = await openJournal(options(dir, warnings));
    assert.deepEqual(
      warnings.map(({ message }) => message),
      ["spool: corrupt segment set aside"],
    );
    assert.equal(warnings[0]!.fields.segment, ackFile);
    assert.ok((await readdir(dir)).includes(eventFile), "the event's segment is still there (evt-0001 is pending)");
    assert.ok(!ids(reopened.recovered).includes("evt-0000"));
    assert.ok(ids(reopened.recovered).includes("evt-0001"));
    await reopened.close();
    const again = await openJournal(options(dir, warnings));
    assert.ok(!ids(again.recovered).includes("evt-0000"), "the salvaged ack was written again");
    await again.close();
  });
});

describe("size limit", () => {
  test("append answers full without writing once the next record would pass maxBytes, and succeeds again after acks", async (t) => {
    const dir = await tempDir(t);
    const events = range(1, 7).map((n) => event(n));
    const maxBytes = 4 * footprint(events[0]!) + 10;
    const journal = await openJournal(options(dir, [], { maxBytes }));
    await appendAll(journal, events.slice(0, 4));
    const before = journal.bytes();
    const [name] = await segmentFiles(dir);
    const sizeBefore = (await stat(join(dir, name!))).size;
    assert.equal(sizeBefore, before);

    assert.equal(await journal.append(events[4]!), "full");
    assert.equal(journal.bytes(), before);
    assert.equal((await stat(join(dir, name!))).size, sizeBefore, "nothing was written");
    assert.equal(journal.depth(), 4);
    assert.ok(journal.bytes() <= maxBytes);

    for (const spooled of events.slice(0, 4)) journal.ack(spooled.id);
    assert.equal(await journal.append(events[4]!), "ok");
    assert.equal(await journal.append(events[5]!), "ok");
    assert.ok(journal.bytes() <= maxBytes, `${journal.bytes()} > ${maxBytes}`);
    await journal.close();
    assert.ok(journal.bytes() <= maxBytes);

    const reopened = await openJournal(options(dir, [], { maxBytes }));
    assert.deepEqual(ids(reopened.recovered), ids(events.slice(4, 6)));
    await reopened.close();
  });

  test("an ack always fits, even when the journal is full", async (t) => {
    const dir = await tempDir(t);
    const events = range(1, 4).map((n) => event(n));
    const maxBytes = 3 * footprint(events[0]!);
    const journal = await openJournal(options(dir, [], { maxBytes }));
    await appendAll(journal, events);
    assert.equal(await journal.append(event(9)), "full");
    journal.ack(events[1]!.id);
    await journal.close();
    assert.ok(journal.bytes() <= maxBytes);
    const reopened = await openJournal(options(dir, [], { maxBytes }));
    assert.deepEqual(ids(reopened.recovered), ids([events[0]!, events[2]!]));
    await reopened.close();
  });
});

describe("compaction", () => {
  test("with no dedup window, segments whose events are all acknowledged are deleted and bytes() drops", async (t) => {
    const dir = await tempDir(t);
    const journal = await openJournal(options(dir, [], { segmentBytes: 300 }));
    const events = range(0, 20).map((n) => event(n));
    await appendEach(journal, events);
    const filesBefore = await segmentFiles(dir);
    const bytesBefore = journal.bytes();
    assert.ok(filesBefore.length >= 3);
    for (const spooled of events) journal.ack(spooled.id);
    await journal.close();
    const filesAfter = await segmentFiles(dir);
    assert.deepEqual(filesAfter, [filesBefore.at(-1)], "only the last (active) segment is left");
    assert.ok(journal.bytes() < bytesBefore, `${journal.bytes()} < ${bytesBefore}`);
    let onDisk = 0;
    for (const name of filesAfter) onDisk += (await stat(join(dir, name))).size;
    assert.equal(journal.bytes(), onDisk);

    const reopened = await openJournal(options(dir, []));
    assert.deepEqual(reopened.recovered, []);
    assert.equal(reopened.bytes(), 0, "the old active segment, all acknowledged, is deleted at open");
    assert.equal((await segmentFiles(dir)).length, 1);
    await reopened.close();
  });

  test("with a dedup window, acknowledged segments shrink to id records; ids inside the window survive a reopen, those outside are gone", async (t) => {
    const dir = await tempDir(t);
    const time = clock(1_000);
    const settings = { segmentBytes: 300, dedupWindowMs: 10_000, now: time.now };
    const journal = await openJournal(options(dir, [], settings));
    // Half accepted at 1 000, half at 8 000.
    const early = range(0, 10).map((n) => event(n, 1_000));
    const late = range(10, 20).map((n) => event(n, 8_000));
    await appendAll(journal, early);
    time.set(8_000);
    await appendAll(journal, late);
    const bytesBefore = journal.bytes();
    for (const spooled of [...early, ...late]) journal.ack(spooled.id);
    await journal.close();
    assert.ok(journal.bytes() < bytesBefore, `${journal.bytes()} < ${bytesBefore}`);
    const names = await segmentFiles(dir);
    for (const name of names.slice(0, -1)) {
      const records = await recordsOf(join(dir, name));
      assert.ok(records.length > 0 && records.every((record) => record.t === "s"), `${name} holds only id records`);
    }

    time.set(9_000);
    const inside = await openJournal(options(dir, [], settings));
    assert.deepEqual(inside.recovered, []);
    assert.deepEqual(
      [...inside.recentIds].sort(),
      [...early, ...late].map((spooled) => [spooled.id, spooled.acceptedAt]).sort(),
    );
    await inside.close();

    time.set(12_000); // the early ids are 11 s old, the late ones 4 s
    const partly = await openJournal(options(dir, [], settings));
    assert.deepEqual([...partly.recentIds.keys()].sort(), ids(late).sort());
    await partly.close();

    time.set(30_000);
    const outside = await openJournal(options(dir, [], settings));
    assert.deepEqual(outside.recentIds.size, 0);
    assert.equal(outside.bytes(), 0, "expired id records are deleted with their files");
    assert.equal((await segmentFiles(dir)).length, 1);
    await outside.close();
  });

  test("pending events also count as recent ids, and a dedup window of 0 remembers none", async (t) => {
    const dir = await tempDir(t);
    const journal = await openJournal(options(dir, [], { dedupWindowMs: 60_000, now: () => 2_000 }));
    await appendAll(journal, [event(1, 1_500)]);
    await journal.close();
    const reopened = await openJournal(options(dir, [], { dedupWindowMs: 60_000, now: () => 3_000 }));
    assert.deepEqual([...reopened.recentIds], [["evt-0001", 1_500]]);
    await reopened.close();
    const noWindow = await openJournal(options(dir, [], { dedupWindowMs: 0, now: () => 3_000 }));
    assert.equal(noWindow.recentIds.size, 0);
    assert.equal(noWindow.recovered.length, 1);
    await noWindow.close();
  });

  test("a segment with only a few pending events left has them copied forward, and is then deleted", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    const journal = await openJournal(options(dir, warnings, { segmentBytes: 800 }));
    const events = range(0, 24).map((n) => event(n, 1_000 + n));
    await appendAll(journal, events.slice(0, 8));
    await appendAll(journal, events.slice(8, 16));
    await appendAll(journal, events.slice(16));
    const first = (await segmentFiles(dir))[0]!;
    const firstIds = (await recordsOf(join(dir, first))).map((record) => record.id);
    assert.ok(firstIds.length >= 6, `${firstIds.length} events in the first segment`);
    const stuck = firstIds[2]!;
    for (const spooled of events) if (spooled.id !== stuck) journal.ack(spooled.id);
    await journal.close();

    assert.ok(!(await segmentFiles(dir)).includes(first), "the first segment is gone");
    assert.equal((await filesWith(dir, "e", stuck)).length, 1, "the stuck event was copied to a later segment");
    const reopened = await openJournal(options(dir, warnings));
    assert.deepEqual(reopened.recovered, events.filter((spooled) => spooled.id === stuck));
    await reopened.close();
    assert.deepEqual(warnings, []);
  });
});

describe("write failures", () => {
  test("a failed fdatasync rejects that batch's appends and rolls them back; later appends succeed", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    let syncs = 0;
    const journal = await openJournal(
      options(dir, warnings, {
        datasync: (flush) => {
          syncs++;
          if (syncs === 2) return Promise.reject(Object.assign(new Error("EIO: simulated"), { code: "EIO" }));
          return flush();
        },
      }),
    );
    assert.equal(await journal.append(event(1)), "ok");
    const failed = await Promise.allSettled([journal.append(event(2)), journal.append(event(3))]);
    assert.deepEqual(
      failed.map((result) => result.status),
      ["rejected", "rejected"],
    );
    assert.match(String((failed[0] as PromiseRejectedResult).reason), /EIO/);
    assert.equal(journal.depth(), 1);
    assert.deepEqual(
      warnings.map(({ message }) => message),
      ["spool: write failed; batch rolled back"],
    );
    assert.equal(await journal.append(event(4)), "ok");
    await journal.close();

    const reopened = await openJournal(options(dir, warnings));
    assert.deepEqual(ids(reopened.recovered), ["evt-0001", "evt-0004"]);
    assert.equal(warnings.length, 1, "the rolled-back records left no damage behind");
    await reopened.close();
  });
});

describe("a full disk", () => {
  test("appends queued behind a commit that fails get a commit of their own, instead of waiting for the next append", { timeout: HANG_MS }, async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    const entered = Promise.withResolvers<void>();
    const gate = Promise.withResolvers<void>();
    let syncs = 0;
    const journal = await openJournal(
      options(dir, warnings, {
        datasync: async (flush) => {
          // 1: the first commit's, held, then failing; 2: its rollback's; 3 on: the later commits'.
          if (++syncs === 1) {
            entered.resolve();
            await gate.promise;
            throw fsError("ENOSPC");
          }
          await flush();
        },
      }),
    );
    const first = journal.append(event(1));
    await entered.promise;
    const later = [journal.append(event(2)), journal.append(event(3))];
    gate.resolve();
    await assert.rejects(first, /ENOSPC/);
    // Without a commit of their own these never settle.
    assert.deepEqual(await Promise.all(later), ["ok", "ok"]);
    assert.equal(journal.depth(), 2);
    await journal.close();
    const reopened = await openJournal(options(dir, warnings));
    assert.deepEqual(ids(reopened.recovered), ["evt-0002", "evt-0003"]);
    await reopened.close();
    assert.deepEqual(
      warnings.map(({ message }) => message),
      ["spool: write failed; batch rolled back"],
    );
  });

  test("an append of an id whose first copy failed to be written rejects too", async (t) => {
    const dir = await tempDir(t);
    let syncs = 0;
    const journal = await openJournal(options(dir, [], { datasync: (flush) => (++syncs === 1 ? Promise.reject(fsError("EIO")) : flush()) }));
    const results = await Promise.allSettled([journal.append(event(1)), journal.append(event(1))]);
    assert.deepEqual(
      results.map((result) => result.status),
      ["rejected", "rejected"],
    );
    assert.equal(await journal.append(event(1)), "ok", "then it is a new append");
    await journal.close();
  });

  test("once the events in the full segment are acknowledged, appends succeed again: the segment is left behind and deleted", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    // maxBytes is far away: the disk fills first.
    const disk = smallDisk(dir, 4_096);
    const journal = await openJournal(options(dir, warnings, { dedupWindowMs: 60_000, beforeWrite: disk.beforeWrite }));
    const accepted: SpooledEvent[] = [];
    for (let n = 0; ; n++) {
      assert.ok(n < 1_000, "the disk filled up");
      const result = await journal.append(event(n)).catch((error: unknown) => error as NodeJS.ErrnoException);
      if (result !== "ok") {
        assert.equal((result as NodeJS.ErrnoException).code, "ENOSPC");
        break;
      }
      accepted.push(event(n));
    }
    assert.ok(accepted.length > 10, `${accepted.length} accepted`);
    // Nothing delivered yet: nothing can make room, and nothing pending is dropped to make some.
    await assert.rejects(journal.append(event(2_000)), /ENOSPC/);
    assert.equal(journal.depth(), accepted.length);

    for (const spooled of accepted) journal.ack(spooled.id);
    assert.equal(journal.depth(), 0);
    assert.equal(await journal.append(event(3_000)), "ok");
    assert.equal(await journal.append(event(3_001)), "ok");
    assert.ok(
      warnings.some(({ message }) => /disk full; an acknowledged segment was deleted instead of compacted/.test(message)),
      JSON.stringify(warnings.map(({ message }) => message)),
    );
    assert.ok(disk.used() < 2_048, `${disk.used()} bytes left on the disk`);
    await journal.close();

    const reopened = await openJournal(options(dir, [], { dedupWindowMs: 60_000 }));
    assert.deepEqual(ids(reopened.recovered), ["evt-3000", "evt-3001"]);
    await reopened.close();
  });

  test("after a restart on a full disk, an acknowledged segment that cannot be compacted is deleted, and appends succeed", async (t) => {
    const dir = await tempDir(t);
    const events = range(0, 30).map((n) => event(n));
    const journal = await openJournal(options(dir, [], { dedupWindowMs: 60_000 }));
    await appendAll(journal, events);
    for (const spooled of events) journal.ack(spooled.id);
    await journal.close();

    const warnings: Warnings = [];
    // Room for less than one more event record, and far less than the compacted ids would need.
    const disk = smallDisk(dir, 0);
    disk.capacity = disk.used() + 20;
    const reopened = await openJournal(options(dir, warnings, { dedupWindowMs: 60_000, beforeWrite: disk.beforeWrite }));
    assert.equal(reopened.recentIds.size, 30, "this run still remembers the ids");
    assert.deepEqual(
      warnings.map(({ message }) => message),
      ["spool: disk full; an acknowledged segment was deleted instead of compacted, so its ids are not remembered after a restart"],
    );
    assert.equal(warnings[0]!.fields.ids, 30);
    assert.equal(await reopened.append(event(100)), "ok");
    await reopened.close();

    const again = await openJournal(options(dir, [], { dedupWindowMs: 60_000 }));
    assert.deepEqual(ids(again.recovered), ["evt-0100"]);
    await again.close();
  });

  test("after a restart on a full disk with events pending: once they are acknowledged, the append made in answer to a failed one succeeds", async (t) => {
    const dir = await tempDir(t);
    const events = range(0, 30).map((n) => event(n));
    const journal = await openJournal(options(dir, [], { dedupWindowMs: 60_000 }));
    await appendAll(journal, events);
    await journal.close();

    const warnings: Warnings = [];
    const disk = smallDisk(dir, 0);
    disk.capacity = disk.used() + 20;
    const reopened = await openJournal(options(dir, warnings, { dedupWindowMs: 60_000, beforeWrite: disk.beforeWrite }));
    assert.deepEqual(ids(reopened.recovered), ids(events));
    for (const spooled of reopened.recovered) reopened.ack(spooled.id);
    // The disk is full until the segment those events are in is deleted, which only a failure sets off.
    const first = reopened.append(event(100));
    // Made the moment the failure is heard of: it waits for the journal to make room rather than
    // failing on the same full disk.
    const second = first.then(
      () => assert.fail("the disk was full"),
      () => reopened.append(event(101)),
    );
    await assert.rejects(first, /ENOSPC/);
    assert.equal(await second, "ok");
    await reopened.close();

    const again = await openJournal(options(dir, [], { dedupWindowMs: 60_000 }));
    assert.deepEqual(ids(again.recovered), ["evt-0101"]);
    await again.close();
  });
});

describe("id records", () => {
  for (const segmentBytes of [600, undefined]) {
    test(`with a healthy downstream, the dedup window's id records never make the spool full (segmentBytes ${segmentBytes ?? "default"})`, async (t) => {
      const dir = await tempDir(t);
      const warnings: Warnings = [];
      const pad = 400;
      const maxBytes = 10 * footprint(event(0, 1_000, pad));
      const settings = { maxBytes, dedupWindowMs: 3_600_000, ...(segmentBytes === undefined ? {} : { segmentBytes }) };
      const journal = await openJournal(options(dir, warnings, settings));
      for (const n of range(0, 300)) {
        const spooled = event(n, 1_000, pad);
        assert.equal(await journal.append(spooled), "ok", `append ${n}, with nothing pending`);
        journal.ack(spooled.id);
        // Id-only segments have a quarter of maxBytes of their own.
        assert.ok(journal.bytes() <= maxBytes * 1.25, `${journal.bytes()} > 1.25 × ${maxBytes}`);
        assert.ok(journal.countedBytes() <= maxBytes, `${journal.countedBytes()} > ${maxBytes}`);
      }
      await journal.close();
      assert.deepEqual(warnings, []);

      // The newest ids are remembered, the oldest were let go to stay within the allowance.
      const reopened = await openJournal(options(dir, [], settings));
      assert.ok(reopened.recentIds.has("evt-0299"));
      assert.ok(!reopened.recentIds.has("evt-0000"));
      assert.ok(reopened.recentIds.size >= 20, `${reopened.recentIds.size} ids remembered`);
      await reopened.close();
    });
  }

  test("id-only segments over a quarter of maxBytes (a smaller maxBytes than last run) are deleted at open, oldest first", async (t) => {
    const dir = await tempDir(t);
    const settings = { dedupWindowMs: 3_600_000, segmentBytes: 300 };
    const journal = await openJournal(options(dir, [], settings));
    for (const n of range(0, 60)) {
      await journal.append(event(n));
      journal.ack(event(n).id);
    }
    await journal.close();
    const wide = await openJournal(options(dir, [], settings));
    assert.equal(wide.recentIds.size, 60);
    const idBytes = wide.bytes() - wide.countedBytes();
    assert.ok(idBytes > 1_000, `${idBytes} bytes of id records`);
    await wide.close();

    const maxBytes = 2_000;
    const narrow = await openJournal(options(dir, [], { ...settings, maxBytes }));
    assert.ok(narrow.bytes() - narrow.countedBytes() <= maxBytes / 4, `${narrow.bytes() - narrow.countedBytes()} bytes of id records`);
    await narrow.close();
    const after = await openJournal(options(dir, [], { ...settings, maxBytes }));
    assert.ok(after.recentIds.has("evt-0059") && !after.recentIds.has("evt-0000"));
    await after.close();
  });
});

describe("an unwritable directory", () => {
  test("a new segment that cannot be created is tried again only every few seconds, with one warning per run of failures", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    const time = clock(1_000);
    let attempts = 0;
    let failing = true;
    const journal = await openJournal(
      options(dir, warnings, {
        segmentBytes: 300,
        now: time.now,
        beforeWrite: (operation) => {
          if (operation !== "rotate") return;
          attempts++;
          if (failing) throw fsError("EACCES");
        },
      }),
    );
    await appendEach(journal, range(0, 30).map((n) => event(n)));
    assert.equal(attempts, 1, "one attempt while the clock stood still");
    assert.equal((await segmentFiles(dir)).length, 1, "writing on in the one segment");
    time.set(7_000);
    await appendEach(journal, range(30, 40).map((n) => event(n)));
    assert.equal(attempts, 2);
    assert.deepEqual(
      warnings.map(({ message }) => message),
      ["spool: could not start a new segment; writing on in the current one and trying again every few seconds"],
    );

    failing = false;
    time.set(13_000);
    await appendEach(journal, range(40, 50).map((n) => event(n)));
    assert.ok((await segmentFiles(dir)).length > 1, "new segments again");
    assert.deepEqual(
      warnings.slice(1).map(({ message }) => message),
      ["spool: started a new segment again"],
    );
    assert.equal(warnings[1]!.fields.failedAttempts, 2);
    await journal.close();
    const reopened = await openJournal(options(dir, []));
    assert.deepEqual(ids(reopened.recovered), range(0, 50).map((n) => event(n).id));
    await reopened.close();
  });

  test("a segment that cannot be compacted is tried again only every few seconds, with one warning", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    const time = clock(1_000);
    const compactions: string[] = [];
    const journal = await openJournal(
      options(dir, warnings, {
        segmentBytes: 300,
        dedupWindowMs: 60_000,
        now: time.now,
        beforeWrite: (operation, path) => {
          if (operation !== "compact") return;
          compactions.push(path);
          throw fsError("EACCES");
        },
      }),
    );
    const run = async (from: number, to: number): Promise<void> => {
      for (const n of range(from, to)) {
        assert.equal(await journal.append(event(n, time.now())), "ok");
        journal.ack(event(n).id);
      }
    };
    await run(0, 30);
    assert.equal(compactions.length, 1, "one attempt while the clock stood still, not one per commit");
    time.set(7_000);
    await run(30, 40);
    assert.equal(compactions.length, 2);
    assert.equal(new Set(compactions).size, 1, "the same segment, tried again");
    assert.deepEqual(
      warnings.map(({ message }) => message),
      ["spool: could not delete or compact a segment; trying again every few seconds"],
    );
    await journal.close();
  });
});

describe("concurrency", () => {
  test("appends and acks interleaved from many callers leave exactly the unacknowledged events pending after a reopen", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const maxBytes = 40 * footprint(event(1000));
    const journal = await openJournal(options(dir, warnings, { maxBytes, segmentBytes: 1_000 }));
    const ok = new Set<string>();
    const acked = new Set<string>();
    let full = 0;
    let next = 0;
    const caller = async (): Promise<void> => {
      for (let i = 0; i < 40; i++) {
        const spooled = event(next++, 1_000 + next);
        const result = await journal.append(spooled);
        assert.ok(journal.bytes() <= maxBytes, `${journal.bytes()} > ${maxBytes}`);
        if (result === "ok") ok.add(spooled.id);
        else full++;
        const done = [...ok].filter((id) => !acked.has(id));
        for (const id of done) {
          if (random() < 0.4) {
            journal.ack(id);
            acked.add(id);
          }
        }
        if (random() < 0.5) await new Promise((resolve) => setImmediate(resolve));
      }
    };
    await Promise.all(range(0, 25).map(() => caller()));
    const expected = [...ok].filter((id) => !acked.has(id));
    assert.equal(journal.depth(), expected.length);
    // Whether the limit is hit here depends on how the runtime interleaves the callers (under Deno
    // it may not be): "full" itself is pinned by the tests of the size limit above.
    assert.equal(ok.size + full, 25 * 40);
    assert.ok(ok.size > 200, `${ok.size} appended`);
    await journal.close();
    assert.ok(journal.bytes() <= maxBytes);

    const reopened = await openJournal(options(dir, warnings, { maxBytes }));
    assert.deepEqual(ids(reopened.recovered).sort(), expected.sort());
    await reopened.close();
    assert.deepEqual(warnings, []);
  });
});

describe("disk use", () => {
  test("after a full-disk episode and recovery, with a healthy downstream, disk use follows the backlog instead of growing", async (t) => {
    const dir = await tempDir(t);
    const warnings: Warnings = [];
    const disk = smallDisk(dir, 1024 * 1024);
    const time = clock(1_000_000);
    const segmentBytes = 4 * 1024 * 1024; // the default
    const journal = await openJournal(options(dir, warnings, { dedupWindowMs: 3_600_000, segmentBytes, now: time.now, beforeWrite: disk.beforeWrite }));
    let n = 0;
    const accepted: string[] = [];
    for (;;) {
      const spooled = event(n++, time.now(), 1_400);
      const result = await journal.append(spooled).catch((error: unknown) => (error as NodeJS.ErrnoException).code);
      if (result !== "ok") {
        assert.equal(result, "ENOSPC");
        break;
      }
      accepted.push(spooled.id);
    }
    // The downstream catches up, the disk has room again.
    for (const id of accepted) journal.ack(id);
    disk.capacity = Number.POSITIVE_INFINITY;

    // Batches of 64 events, each delivered (acknowledged) once it is on disk: the backlog is never
    // more than one batch (~100 KB), and the disk must follow it.
    let most = 0;
    for (let round = 0; round < 200; round++) {
      time.set(time.now() + 1_000);
      const batch = range(0, 64).map(() => event(n++, time.now(), 1_400));
      await appendAll(journal, batch);
      for (const spooled of batch) journal.ack(spooled.id);
      most = Math.max(most, journal.countedBytes());
    }
    // Event-holding segments stay well below segmentBytes (~0.8 MB here; before: all of it, ~116 KiB
    // more every 64 events until the 4 MiB segment was full). The bound leaves room for compaction
    // trailing on a loaded machine.
    assert.ok(most <= segmentBytes / 2, `${most} bytes of acknowledged events kept on disk at the most`);
    assert.equal(journal.depth(), 0);
    await journal.close();
    // What is left is the dedup window's id records, within their allowance, and nothing pending.
    const reopened = await openJournal(options(dir, [], { dedupWindowMs: 3_600_000, segmentBytes, now: time.now }));
    assert.deepEqual(reopened.recovered, []);
    assert.ok(reopened.countedBytes() <= segmentBytes / 4, `${reopened.countedBytes()} bytes of event segments after a reopen`);
    await reopened.close();
  });
});
