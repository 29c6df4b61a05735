// Not a test: measures append throughput with group commit against one fdatasync per append.
//   node_modules/.bin/node test/spool/bench.ts [dir-parent]
// "sequential" awaits each append before the next, so every append is its own write + fdatasync
// (what a per-request fsync costs); "concurrent" keeps `callers` appends in flight, as an HTTP
// server under load does, so they share commits.
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openJournal } from "../../src/spool/journal.ts";

const parent = process.argv[2] ?? tmpdir();
const json = JSON.stringify({ specversion: "1.0", type: "com.telnyx.texml.refer.status", data: { pad: "x".repeat(700) } });

async function measure(name: string, callers: number, total: number): Promise<void> {
  const dir = await mkdtemp(join(parent, "telnyx-relay-spool-bench-"));
  let syncs = 0;
  const journal = await openJournal({
    dir,
    maxBytes: 1024 * 1024 * 1024,
    dedupWindowMs: 86_400_000,
    now: Date.now,
    datasync: (flush) => {
      syncs++;
      return flush();
    },
  });
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next < total) {
        const id = `bench-${next++}`;
        if ((await journal.append({ id, json, acceptedAt: Date.now() })) !== "ok") throw new Error("full");
        journal.ack(id);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await journal.close();
  await rm(dir, { recursive: true, force: true });
  console.log(`${name}: ${total} appends (+ acks) in ${seconds.toFixed(2)} s = ${Math.round(total / seconds)} appends/s, ${syncs} fdatasyncs (${(total / syncs).toFixed(1)} appends each)`);
}

await measure("sequential, 1 caller  ", 1, 2_000);
await measure("concurrent, 16 callers", 16, 20_000);
await measure("concurrent, 64 callers", 64, 50_000);
await measure("concurrent, 256 callers", 256, 100_000);
