import type { Duplex } from "node:stream";
import { createBatchedWriter } from "../lib/batched-writer.ts";
import { createDeadlineWaits } from "../lib/deadline-waits.ts";
import { splitLines } from "../lib/split-lines.ts";
import { reject } from "../pipeline/rejection.ts";
import type { HandOn } from "../pipeline/relay.ts";
import type { BoundedDeadLetterFile, DeadLetter, DeadLetterResult } from "../lib/dead-letter-file.ts";
import { decodeMainFrame, encodeWorkerFrame, type MainFrame, type WorkerFrame } from "./frames.ts";

// How often requests waiting for the main process's answer are checked against their deadline.
const SWEEP_MS = 250;
// How often a worker sends its metrics to the main process unasked: what a worker that is killed
// outright can take with it (a scrape pulls fresh ones anyway).
const METRICS_PUSH_MS = 1_000;
// A scrape that reached a worker waits this long for the whole relay's metrics (the main process
// gives each worker 1 s to answer; Prometheus's default scrape timeout is 10 s).
const SCRAPE_TIMEOUT_MS = 5_000;

/** What {@link connectToMain} needs. */
export interface MainLinkOptions {
  /** The longest wait for an answer about an event or a dead letter (the main process's own sink and forward timeouts are shorter). */
  readonly answerTimeoutMs: number;
  /** The main process's dead-letter file, for log lines. */
  readonly deadLetterPath: string;
  /** This process's own metrics (Prometheus text), sent to the main process. */
  readonly metrics: () => string;
  /** The clock (ms since the epoch). */
  readonly now: () => number;
}

/** A worker's end of its channel to the main process. */
export interface MainLink {
  /** Sends an event to the main process's dedup and sink, and resolves with what became of it. */
  readonly handOn: HandOn;
  /** The main process's dead-letter file, written through the channel. */
  readonly deadLetters: BoundedDeadLetterFile;
  /** The whole relay's metrics, from the main process (rejects if they cannot be had). */
  scrape(): Promise<string>;
  /** False once the main process says its sink cannot take events, or the channel is gone. */
  ready(): boolean;
  /** Tells the main process this worker listens. */
  listening(): void;
  /** Sends this process's metrics a last time and closes the channel (the worker is stopping). */
  close(): void;
  /** Resolves when the channel closes (the main process is gone). */
  readonly closed: Promise<void>;
}

/**
 * Connects a worker process to the main process over its fd-3 channel.
 *
 * Every event waits for the main process's answer; if the channel closes first, it (and every later
 * one) gets `sink_unavailable`, a 503, so Telnyx delivers it again; so does an event the main process
 * has not answered within `answerTimeoutMs` (alive but stuck). A dead letter waits the same way, and
 * counts as not written (`failed`) if no answer comes. The worker's metrics go to the main process
 * every second, when it asks for them, and once more at close.
 *
 * @param channel The socket on fd 3.
 * @param options The answer timeout, the dead-letter path, this process's metrics and the clock.
 * @returns The link.
 * @example
 * ```ts
 * const main = connectToMain(new Socket({ fd: 3, readable: true, writable: true }), { answerTimeoutMs: 30_000, deadLetterPath, metrics: () => metrics.render(), now: Date.now });
 * const relay = createRelay({ verify, handOn: main.handOn, deadLetters: main.deadLetters, metrics, now });
 * ```
 */
export function connectToMain(channel: Duplex, options: MainLinkOptions): MainLink {
  const { answerTimeoutMs, now } = options;
  const write = createBatchedWriter(channel);
  // One timer for every request waiting, as in the stdout sink: not one armed and cleared per event.
  // A request is settled with the main process's frame, or with undefined (no answer in time, or gone).
  const waiting = createDeadlineWaits<number, (frame: MainFrame | undefined) => void>(SWEEP_MS, (settle) => settle(undefined), now);
  let seq = 0;
  let open = true;
  let sinkReady = true;
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const late = reject("sink_unavailable", `the relay's main process did not answer within ${answerTimeoutMs} ms`);
  const gone = reject("sink_unavailable", "the relay's main process is gone");

  /** Sends a request frame (built with its sequence number) and resolves with the answer frame, or undefined. */
  const ask = (frame: (seq: number) => WorkerFrame, timeoutMs: number): Promise<MainFrame | undefined> => {
    if (!open) return Promise.resolve(undefined);
    const id = ++seq;
    return new Promise((resolve) => {
      waiting.add(id, resolve, now() + timeoutMs);
      write(encodeWorkerFrame(frame(id)));
    });
  };
  const pushMetrics = (pull = 0): void => write(encodeWorkerFrame({ kind: "metrics", seq: pull, text: options.metrics() }));

  channel.on(
    "data",
    splitLines((line) => {
      const frame = decodeMainFrame(line);
      if (frame === undefined) return;
      if (frame.kind === "ready") sinkReady = frame.ready;
      else if (frame.kind === "pull") pushMetrics(frame.seq);
      else waiting.take(frame.seq)?.(frame);
    }),
  );
  const push = setInterval(pushMetrics, METRICS_PUSH_MS);
  push.unref();
  const close = (): void => {
    if (!open) return;
    open = false;
    clearInterval(push);
    for (const settle of waiting.takeAll()) settle(undefined);
    markClosed();
  };
  channel.on("close", close);
  channel.on("end", close);
  channel.on("error", close);

  const deadLetters = deadLettersThrough(options.deadLetterPath, (record) => ask((id) => ({ kind: "dead-letter", seq: id, record }), answerTimeoutMs));

  return {
    async handOn(event) {
      if (!open) return gone;
      const answer = await ask((id) => ({ kind: "event", seq: id, event }), answerTimeoutMs);
      if (answer?.kind === "answer") return answer.outcome;
      return open ? late : gone;
    },
    deadLetters,
    async scrape() {
      const answer = await ask((id) => ({ kind: "scrape", seq: id }), SCRAPE_TIMEOUT_MS);
      if (answer?.kind === "scraped" && answer.text !== undefined) return answer.text;
      throw new Error("the relay's main process did not give its metrics");
    },
    ready: () => open && sinkReady,
    listening: () => write(encodeWorkerFrame({ kind: "listening" })),
    close() {
      if (open) pushMetrics();
      channel.end();
    },
    closed,
  };
}

/** The main process's dead-letter file as a worker sees it: each record is sent with `ask`, and its result read from the answer. */
function deadLettersThrough(path: string, ask: (record: DeadLetter) => Promise<MainFrame | undefined>): BoundedDeadLetterFile {
  const append = async (record: DeadLetter): Promise<DeadLetterResult> => {
    const answer = await ask(record);
    return answer?.kind === "dead-lettered" ? answer.result : "failed";
  };
  return {
    path,
    append,
    write: (record) => append(record).then((result) => result === "kept" || result === "duplicate"),
    // The file and its figures are the main process's.
    stats: () => ({ bytes: 0, kept: { invalid_event: 0, downstream_rejected: 0 }, duplicates: 0, refused: 0 }),
    // The main process's readiness says whether its file is overdue.
    overdue: () => false,
    close: async () => {},
  };
}
