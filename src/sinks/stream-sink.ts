import type { Writable } from "node:stream";
import type { EncodedEvent } from "../pipeline/cloud-event.ts";
import { reject, type Rejection } from "../pipeline/rejection.ts";
import { createBatchedWriter } from "../lib/batched-writer.ts";
import { createDeadlineWaits } from "../lib/deadline-waits.ts";
import { within } from "../lib/within.ts";
import { DELIVERED, type Delivered, type Sink } from "./sink.ts";

/** What {@link createStreamSink} needs. */
export interface StreamSinkOptions {
  /** The stream events are written to, one JSON line each: `process.stdout` in the CLI. */
  readonly stream: Writable;
  /** A request waits at most this long for the stream to take its line (then 503). */
  readonly timeoutMs: number;
  /** Bytes that may sit in the stream's buffer before new events wait for it to drain. */
  readonly maxBufferedBytes: number;
  /** Called once when the stream fails for good (EPIPE: the reader went away). */
  readonly onFatal: (error: Error) => void;
  /** The clock (ms), for the wait deadlines. */
  readonly now: () => number;
}

// How often writes still in flight are checked against their deadline (the sink timeout's precision).
const SWEEP_MS = 50;


/**
 * A sink that writes each event as one JSON line to a stream, honouring backpressure.
 *
 * An event counts as delivered when the stream's write callback fires: the line has left the
 * process (for a pipe, it is in the kernel's pipe buffer). While the reader is slow, the buffer may
 * hold up to `maxBufferedBytes`; past that, requests wait for it to drain, at most `timeoutMs`, and
 * are then turned away with `sink_unavailable`, so memory stays bounded and Telnyx delivers again.
 * Writes made in one turn of the event loop are corked together and leave in one system call.
 *
 * @param options The stream, the wait bound, the buffer bound, the failure callback and the clock.
 * @returns The sink.
 * @example
 * ```ts
 * const sink = createStreamSink({ stream: process.stdout, timeoutMs: 5000, maxBufferedBytes: 1 << 20, onFatal: stop, now: Date.now });
 * ```
 */
export function createStreamSink(options: StreamSinkOptions): Sink {
  // One closure of ~80 lines on purpose: deliver, close and ready share the stream's failure, the
  // cork and the wait for room.
  const { stream, timeoutMs, onFatal, now } = options;
  const maxBufferedBytes = Math.max(options.maxBufferedBytes, stream.writableHighWaterMark);
  let failure: Error | undefined;
  // Resolved by the next 'drain' (or failure); shared by every request waiting for room.
  let room: Promise<void> | undefined;
  let freeRoom: (() => void) | undefined;

  const batched = createBatchedWriter(stream);
  const fail = (error: Error): void => {
    if (failure !== undefined) return;
    failure = error;
    freeRoom?.();
    onFatal(error);
  };
  stream.on("error", fail);
  stream.on("drain", () => {
    const free = freeRoom;
    room = undefined;
    freeRoom = undefined;
    free?.();
  });

  const waitForRoom = (): Promise<void> => {
    room ??= new Promise<void>((resolve) => {
      freeRoom = resolve;
    });
    return room;
  };

  const unavailable = (): Rejection =>
    reject("sink_unavailable", failure ? "the output stream is closed" : `the output stream did not take the event within ${timeoutMs} ms`);

  async function deliver(event: EncodedEvent): Promise<Delivered | Rejection> {
    const line = `${event.json}\n`;
    const deadline = now() + timeoutMs;
    while (failure === undefined && stream.writableLength >= maxBufferedBytes) {
      const left = deadline - now();
      if (left <= 0 || !(await within(waitForRoom(), left))) return unavailable();
    }
    if (failure !== undefined) return unavailable();

    // Every line written in this turn of the event loop (all the requests it handled) leaves in one
    // system call (see createBatchedWriter). A timeout here leaves the line in the buffer: it may
    // still come out after the 503, and Telnyx will deliver the event again. A duplicate with the
    // same id, never a loss.
    const inTime = await new Promise<boolean>((resolve) => {
      const write = ++writes;
      waiting.add(write, resolve, deadline);
      batched(line, (error) => {
        if (error) fail(error);
        waiting.take(write)?.(true);
      });
    });
    if (!inTime || failure !== undefined) return unavailable();
    return DELIVERED;
  }

  // The requests whose line is being written, until their deadline: one timer for all (a write
  // completes within a turn or two of the event loop, unless the reader stalls).
  let writes = 0;
  const waiting = createDeadlineWaits<number, (inTime: boolean) => void>(SWEEP_MS, (resolve) => resolve(false), now);

  async function close(flushTimeoutMs: number): Promise<void> {
    if (failure !== undefined || stream.writableLength === 0) return;
    const drained = new Promise<void>((resolve) => {
      stream.write("", () => resolve());
    });
    await within(drained, flushTimeoutMs);
  }

  const ready = (): boolean => failure === undefined && stream.writableLength < maxBufferedBytes;
  return { name: "stdout", deliver, ready, close };
}
