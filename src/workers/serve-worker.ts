import type { Duplex } from "node:stream";
import { createBatchedWriter } from "../lib/batched-writer.ts";
import { createDeadlineWaits } from "../lib/deadline-waits.ts";
import { splitLines } from "../lib/split-lines.ts";
import { reject, type Rejection } from "../pipeline/rejection.ts";
import type { HandOn } from "../pipeline/relay.ts";
import type { BoundedDeadLetterFile } from "../lib/dead-letter-file.ts";
import type { Delivered } from "../sinks/sink.ts";
import { decodeWorkerFrame, encodeMainFrame } from "./frames.ts";

// How often pulls of a worker's metrics are checked against their deadline.
const SWEEP_MS = 100;

/** What the main process does for its workers. */
export interface MainServices {
  /** The main process's dedup → sink stages, shared by every worker. */
  readonly handOn: HandOn;
  /** The dead-letter file, which the main process alone writes. */
  readonly deadLetters: BoundedDeadLetterFile;
  /** The whole relay's metrics, for a scrape that reached a worker (rejects if they cannot be had). */
  scrape(): Promise<string>;
}

/** The main process's end of one worker's channel. */
export interface WorkerLink {
  /** Tells the worker whether the sink can take events (for its `/readyz`). */
  setReady(ready: boolean): void;
  /** Asks the worker for its metrics now: resolves with them, or with the last it sent if it does not answer within `timeoutMs`. */
  pullMetrics(timeoutMs: number): Promise<string | undefined>;
  /** The last metrics the worker sent (pushed, or answering a pull); undefined before the first. */
  lastMetrics(): string | undefined;
  /** Resolves once the channel closed: everything the worker sent has been read. */
  readonly closed: Promise<void>;
}

/**
 * Serves one worker process: hands each event it sends to the main process's stages and answers
 * with the outcome, writes its dead letters to the main process's file, keeps its metrics, and
 * answers its scrapes with the whole relay's.
 *
 * @param channel The worker's end of the socket pair (its fd 3).
 * @param services The main process's stages, dead-letter file and metrics.
 * @param events Called when the worker says it listens, and on a line that is not a frame.
 * @param now The clock (ms since the epoch).
 * @returns The link, to push readiness to the worker and pull its metrics.
 * @example
 * ```ts
 * const link = serveWorker(child.stdio[3] as Duplex, { handOn, deadLetters, scrape }, { listening: () => started(), garbled: (line) => log.error("bad frame", { line }) }, Date.now);
 * ```
 */
export function serveWorker(
  channel: Duplex,
  services: MainServices,
  events: { listening(): void; garbled(line: string): void },
  now: () => number,
): WorkerLink {
  const { handOn, deadLetters, scrape } = services;
  const write = createBatchedWriter(channel);
  const answer = (seq: number) => (outcome: Delivered | Rejection | "duplicate") => write(encodeMainFrame({ kind: "answer", seq, outcome }));
  const failed = (seq: number) => (error: unknown) =>
    write(encodeMainFrame({ kind: "answer", seq, outcome: reject("sink_unavailable", `the event could not be handed on: ${String(error)}`) }));
  const pulls = createDeadlineWaits<number, (text: string | undefined) => void>(SWEEP_MS, (settle) => settle(last), now);
  let pullSeq = 0;
  let last: string | undefined;
  let lastReady: boolean | undefined;
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });

  channel.on(
    "data",
    splitLines((line) => {
      const frame = decodeWorkerFrame(line);
      if (frame === undefined) return events.garbled(line);
      switch (frame.kind) {
        case "listening":
          return events.listening();
        case "event":
          return void handOn(frame.event).then(answer(frame.seq), failed(frame.seq));
        case "dead-letter": {
          const { seq } = frame;
          return void deadLetters.append(frame.record).then((result) => write(encodeMainFrame({ kind: "dead-lettered", seq, result })));
        }
        case "metrics":
          last = frame.text;
          if (frame.seq !== 0) pulls.take(frame.seq)?.(frame.text);
          return;
        case "scrape": {
          const { seq } = frame;
          const scraped = (text: string | undefined): void => write(encodeMainFrame({ kind: "scraped", seq, text }));
          return void scrape().then(scraped, () => scraped(undefined));
        }
      }
    }),
  );
  // A worker that dies mid-write leaves an EPIPE/ECONNRESET here; its exit is handled by the supervisor.
  channel.on("error", () => {});
  // The worker ended its side (it is stopping): end ours, so the channel closes.
  channel.once("end", () => channel.end());
  channel.once("close", () => {
    for (const settle of pulls.takeAll()) settle(last);
    markClosed();
  });

  return {
    setReady(ready) {
      if (ready === lastReady) return;
      lastReady = ready;
      write(encodeMainFrame({ kind: "ready", ready }));
    },
    pullMetrics(timeoutMs) {
      if (channel.destroyed || !channel.writable) return Promise.resolve(last);
      const seq = ++pullSeq;
      return new Promise((resolve) => {
        pulls.add(seq, resolve, now() + timeoutMs);
        write(encodeMainFrame({ kind: "pull", seq }));
      });
    },
    lastMetrics: () => last,
    closed,
  };
}
