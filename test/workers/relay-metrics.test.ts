import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { duplexPair } from "node:stream";
import { after, describe, test } from "node:test";
import { createMetrics, type Metrics } from "../../src/lib/metrics.ts";
import { createDeadLetterFile } from "../../src/lib/dead-letter-file.ts";
import { connectToMain, type MainLink } from "../../src/workers/connect-to-main.ts";
import { createRelayMetrics } from "../../src/workers/relay-metrics.ts";
import { serveWorker, type WorkerLink } from "../../src/workers/serve-worker.ts";

const REFER_TYPE = "com.telnyx.texml.refer.status";

const dir = mkdtempSync(join(tmpdir(), "telnyx-relay-relay-metrics-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A worker with its own metrics, linked to the main process over an in-memory socket pair. */
function worker(metrics: Metrics): { main: MainLink; served: WorkerLink; workerSide: ReturnType<typeof duplexPair>[1] } {
  const [mainSide, workerSide] = duplexPair();
  const services = { handOn: async () => ({ ok: true }) as const, deadLetters: createDeadLetterFile(join(dir, "dead.jsonl")), scrape: async () => "" };
  const served = serveWorker(mainSide, services, { listening: () => {}, garbled: () => {} }, Date.now);
  const main = connectToMain(workerSide, { answerTimeoutMs: 5_000, deadLetterPath: join(dir, "dead.jsonl"), metrics: () => metrics.render(), now: Date.now });
  return { main, served, workerSide };
}

const accepted = (text: string): number => Number(/^telnyx_relay_events_accepted_total\{type="com\.telnyx\.texml\.refer\.status"\} (\S+)$/m.exec(text)?.[1]);

describe("createRelayMetrics()", () => {
  test("a scrape sums the main process's metrics and every worker's, asked for at that moment", async () => {
    const own = createMetrics();
    const [a, b] = [createMetrics(), createMetrics()];
    const view = createRelayMetrics(() => own.render(), 1_000);
    view.add(worker(a).served);
    view.add(worker(b).served);
    own.accepted(REFER_TYPE);
    a.accepted(REFER_TYPE);
    a.accepted(REFER_TYPE);
    b.accepted(REFER_TYPE);
    assert.equal(accepted(await view.scrape()), 4);
    b.accepted(REFER_TYPE);
    assert.equal(accepted(await view.scrape()), 5);
  });

  test("a worker that stops keeps its counts in the sum, counted once", async () => {
    const own = createMetrics();
    const gone = createMetrics();
    const view = createRelayMetrics(() => own.render(), 1_000);
    const leaving = worker(gone);
    view.add(leaving.served);
    gone.accepted(REFER_TYPE);
    gone.accepted(REFER_TYPE);
    // Stops while a scrape is waiting for it: its last metrics are counted once, not as live and gone.
    const scraping = view.scrape();
    leaving.main.close();
    await leaving.served.closed;
    assert.equal(accepted(await scraping), 2);
    assert.equal(accepted(await view.scrape()), 2);
    const replacement = createMetrics();
    view.add(worker(replacement).served);
    replacement.accepted(REFER_TYPE);
    assert.equal(accepted(await view.scrape()), 3);
  });

  test("a worker that does not answer in time counts with the last metrics it sent", async () => {
    const own = createMetrics();
    const slow = createMetrics();
    slow.accepted(REFER_TYPE);
    const { served, workerSide } = worker(slow);
    const view = createRelayMetrics(() => own.render(), 100);
    view.add(served);
    assert.equal(accepted(await view.scrape()), 1);
    // The worker stops reading its channel (busy, or stuck): the pull is not answered.
    workerSide.pause();
    slow.accepted(REFER_TYPE);
    const scraped = accepted(await view.scrape());
    // The last it sent: its answer to the first scrape (1), unless its once-a-second push came since.
    assert.equal(scraped, accepted(served.lastMetrics() ?? ""));
    assert.ok(scraped === 1 || scraped === 2);
  });
});
