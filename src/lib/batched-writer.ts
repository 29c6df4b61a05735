import process from "node:process";
import type { Writable } from "node:stream";

/** Writes a chunk; `done` is the stream's write callback (an error if the stream failed or is closed). */
export type BatchedWrite = (chunk: string, done?: (error?: Error | null) => void) => void;

/**
 * Writes to a stream so that everything written in one turn of the event loop leaves in one system
 * call: the first write of a turn corks the stream, and `setImmediate` uncorks it.
 *
 * Why `setImmediate` and not `process.nextTick`: node:http hands each request (each socket's data)
 * to its own I/O callback, and the next-tick queue runs after *each* callback, so uncorking on the
 * next tick flushes after every request: one write per event. `setImmediate` runs once the poll
 * phase has run every ready I/O callback, so the lines of all the requests handled in this turn
 * leave together. It waits for no timer: the lines leave within the same turn of the loop.
 *
 * A write to a stream that is destroyed or ended is not attempted: `done` gets an error instead (on
 * the next tick, as a stream reports its own write errors), and nothing is emitted as `error`.
 *
 * @param stream The stream (a socket, a pipe, stdout).
 * @returns The write function.
 * @example
 * ```ts
 * const write = createBatchedWriter(socket);
 * write("first line\n");
 * write("second line\n", (error) => { if (!error) console.log("both left in one write"); });
 * ```
 */
export function createBatchedWriter(stream: Writable): BatchedWrite {
  let corked = false;
  const uncork = (): void => {
    corked = false;
    stream.uncork();
  };
  return (chunk, done) => {
    if (stream.destroyed || !stream.writable) {
      if (done !== undefined) process.nextTick(done, new Error("the stream is closed"));
      return;
    }
    if (!corked) {
      corked = true;
      stream.cork();
      setImmediate(uncork);
    }
    stream.write(chunk, done);
  };
}
