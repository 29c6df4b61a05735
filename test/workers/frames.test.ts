import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeMainFrame, decodeWorkerFrame, encodeMainFrame, encodeWorkerFrame, type MainFrame, type WorkerFrame } from "../../src/workers/frames.ts";

const event = { id: "0123456789abcdef0123456789abcdef", json: JSON.stringify({ id: "x", data: { Note: "a b\nc \u2028 ü 😀" } }) };

describe("worker frames", () => {
  const workerFrames: WorkerFrame[] = [{ kind: "event", seq: 1, event }, { kind: "event", seq: 2 ** 40, event: { id: "other-id", json: "{}" } }, { kind: "listening" },
    // A TeXML callback keeps its mark across the channel: the main process forwards every delivery of it (createHandOn).
    { kind: "event", seq: 6, event: { ...event, texml: true } },
    { kind: "dead-letter", seq: 3, record: { receivedAt: "2026-11-29T00:00:00.000Z", reason: "invalid_event", detail: "d\ne", headers: { "telnyx-timestamp": "1", "telnyx-signature-ed25519": "s" }, body: "a=1\n😀" } },
    { kind: "metrics", seq: 0, text: "# HELP x_total X.\n# TYPE x_total counter\nx_total{a=\"b\"} 1\n" },
    { kind: "metrics", seq: 4, text: "" },
    { kind: "scrape", seq: 5 },
  ];
  for (const frame of workerFrames) {
    test(`a worker's ${frame.kind} frame is one line and decodes to itself`, () => {
      const line = encodeWorkerFrame(frame);
      assert.equal(line.indexOf("\n"), line.length - 1);
      assert.deepEqual(decodeWorkerFrame(line.slice(0, -1)), frame);
    });
  }

  const mainFrames: MainFrame[] = [
    { kind: "answer", seq: 7, outcome: { ok: true } },
    // A synchronous downstream's TeXML answer, newlines and all, goes back to the worker that asked.
    { kind: "answer", seq: 13, outcome: { ok: true, reply: '<?xml version="1.0"?>\n<Response><Say>hi</Say></Response>\n' } },
    { kind: "answer", seq: 8, outcome: "duplicate" },
    { kind: "answer", seq: 9, outcome: { ok: false, reason: "spool_full", detail: "the spool is full (64 MiB)\nsecond line" } },
    { kind: "ready", ready: true },
    { kind: "ready", ready: false },
    ...(["kept", "duplicate", "full", "failed"] as const).map((result, seq): MainFrame => ({ kind: "dead-lettered", seq, result })),
    { kind: "pull", seq: 10 },
    { kind: "scraped", seq: 11, text: "x_total 3\n" },
    { kind: "scraped", seq: 12, text: undefined },
  ];
  for (const frame of mainFrames) {
    test(`the main process's ${JSON.stringify(frame)} is one line and decodes to itself`, () => {
      const line = encodeMainFrame(frame);
      assert.equal(line.indexOf("\n"), line.length - 1);
      assert.deepEqual(decodeMainFrame(line.slice(0, -1)), frame);
    });
  }

  for (const line of ["", "E", "E 1", "E x id {}", "E -1 id {}", "L ", "Z 1", "Q", "Q 1 x", "M 1", "M 1 {}", "M 1 not json", "W 1", "W 1 null", 'W 1 {"detail":"no reason"}']) {
    test(`${JSON.stringify(line)} is not a worker frame`, () => assert.equal(decodeWorkerFrame(line), undefined));
  }
  for (const line of ["", "A", "A x", "A 1 x", "A 1 3", "A 1 null", "R 2", "K 1", "K 1 lost", "P", "P 1 x", "T 1", "T 1 3", "T 1 not json", 'X 1 {"reason":"made_up","detail":"d"}', "X 1 not json", "X 1", 'X 1 {"reason":"spool_full"}']) {
    test(`${JSON.stringify(line)} is not a main-process frame`, () => assert.equal(decodeMainFrame(line), undefined));
  }
});
