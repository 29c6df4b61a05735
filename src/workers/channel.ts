import process from "node:process";
import type { Duplex } from "node:stream";
import type { EncodedEvent } from "../pipeline/cloud-event.ts";
import { reject, type Rejection } from "../pipeline/rejection.ts";
import type { HandOn } from "../pipeline/relay.ts";
import type { Delivered } from "../sinks/sink.ts";
import { createDeadlineWaits } from "../lib/deadline-waits.ts";
import { decodePrimaryFrame, decodeWorkerFrame, encodePrimaryFrame, encodeWorkerFrame, splitLines } from "./frames.ts";

/**
 * Writes lines to a stream, many per syscall: the first write of an event-loop turn corks the
 * stream and the end of the turn's microtasks uncorks it.
 */
function batchedWriter(stream: Duplex): (line: string) => void {
  let corked = false;
  const uncork = (): void => {
    corked = false;
    stream.uncork();
  };
  return (line) => {
    if (stream.destroyed || !stream.writable) return;
    if (!corked) {
      corked = true;
      stream.cork();
      process.nextTick(uncork);
    }
    stream.write(line);
  };
}

// How often events waiting for the primary's answer are checked against their deadline.
const SWEEP_MS = 250;

/** The primary's end of one worker's channel. */
export interface WorkerLink {
  /** Tells the worker whether the sink can take events (for its `/readyz`). */
  setReady(ready: boolean): void;
}

/**
 * Serves one worker process: hands each event it sends to `handOn` (the primary's dedup and sink,
 * shared by every worker), and answers with the outcome.
 *
 * @param channel The worker's end of the socket pair (its fd 3).
 * @param handOn The primary's dedup → sink stages.
 * @param events Called when the worker says it listens, and on a line that is not a frame.
 * @returns The link, to push readiness to the worker.
 * @example
 * ```ts
 * const link = serveWorker(child.stdio[3] as Duplex, handOn, { listening: () => started(), garbled: (line) => log.error("bad frame", { line }) });
 * ```
 */
export function serveWorker(channel: Duplex, handOn: HandOn, events: { listening(): void; garbled(line: string): void }): WorkerLink {
  const write = batchedWriter(channel);
  const answer = (seq: number) => (outcome: Delivered | Rejection | "duplicate") => write(encodePrimaryFrame({ kind: "answer", seq, outcome }));
  const failed = (seq: number) => (error: unknown) =>
    write(encodePrimaryFrame({ kind: "answer", seq, outcome: reject("sink_unavailable", `the event could not be handed on: ${String(error)}`) }));
  let lastReady: boolean | undefined;
  channel.on(
    "data",
    splitLines((line) => {
      const frame = decodeWorkerFrame(line);
      if (frame === undefined) return events.garbled(line);
      if (frame.kind === "listening") return events.listening();
      handOn(frame.event).then(answer(frame.seq), failed(frame.seq));
    }),
  );
  // A worker that dies mid-write leaves an EPIPE/ECONNRESET here; its exit is handled by the supervisor.
  channel.on("error", () => {});
  return {
    setReady(ready) {
      if (ready === lastReady) return;
      lastReady = ready;
      write(encodePrimaryFrame({ kind: "ready", ready }));
    },
  };
}

/** A worker's end of its channel to the primary. */
export interface PrimaryLink {
  /** Sends an event to the primary's dedup and sink, and resolves with what became of it. */
  readonly handOn: HandOn;
  /** False once the primary says its sink cannot take events, or the channel is gone. */
  ready(): boolean;
  /** Tells the primary this worker listens. */
  listening(): void;
  /** Resolves when the channel closes (the primary is gone). */
  readonly closed: Promise<void>;
}

/**
 * Connects a worker process to the primary over its fd-3 channel.
 *
 * Every event waits for the primary's answer; if the channel closes first, it (and every later one)
 * gets `sink_unavailable`, a 503, so Telnyx delivers it again; so does an event the primary has not
 * answered within `answerTimeoutMs` (a primary that is alive but stuck).
 *
 * @param channel The socket on fd 3.
 * @param answerTimeoutMs The longest wait for an answer (the primary's own sink and forward timeouts are shorter).
 * @returns The link.
 * @example
 * ```ts
 * const primary = connectToPrimary(new Socket({ fd: 3, readable: true, writable: true }), 30_000);
 * const relay = createRelay({ verify, handOn: primary.handOn, deadLetters, metrics, now });
 * ```
 */
export function connectToPrimary(channel: Duplex, answerTimeoutMs: number): PrimaryLink {
  const write = batchedWriter(channel);
  const late = reject("sink_unavailable", `the relay's main process did not answer within ${answerTimeoutMs} ms`);
  // One timer for every event waiting, as in the stdout sink: not one armed and cleared per event.
  const waiting = createDeadlineWaits<number, (outcome: Delivered | Rejection | "duplicate") => void>(SWEEP_MS, (settle) => settle(late));
  let seq = 0;
  let open = true;
  let sinkReady = true;
  let markClosed: () => void = () => {};
  const closed = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const gone = reject("sink_unavailable", "the relay's main process is gone");

  channel.on(
    "data",
    splitLines((line) => {
      const frame = decodePrimaryFrame(line);
      if (frame === undefined) return;
      if (frame.kind === "ready") {
        sinkReady = frame.ready;
        return;
      }
      waiting.take(frame.seq)?.(frame.outcome);
    }),
  );
  const close = (): void => {
    if (!open) return;
    open = false;
    for (const settle of waiting.takeAll()) settle(gone);
    markClosed();
  };
  channel.on("close", close);
  channel.on("end", close);
  channel.on("error", close);

  return {
    handOn(event: EncodedEvent) {
      if (!open) return Promise.resolve(gone);
      const id = ++seq;
      return new Promise((resolve) => {
        waiting.add(id, resolve, Date.now() + answerTimeoutMs);
        write(encodeWorkerFrame({ kind: "event", seq: id, event }));
      });
    },
    ready: () => open && sinkReady,
    listening: () => write(encodeWorkerFrame({ kind: "listening" })),
    closed,
  };
}
