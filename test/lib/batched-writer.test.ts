import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { describe, test } from "node:test";
import { createBatchedWriter } from "../../src/lib/batched-writer.ts";
import { settle } from "../support/wait.ts";

/** A stream that records each system-call-sized write it is given: one array of chunks per call. */
function recorder(): { stream: Writable; calls: string[][] } {
  const calls: string[][] = [];
  const stream = new Writable({
    decodeStrings: false,
    write(chunk: string, _encoding, callback) {
      calls.push([chunk]);
      callback();
    },
    writev(chunks, callback) {
      calls.push(chunks.map(({ chunk }) => chunk as string));
      callback();
    },
  });
  return { stream, calls };
}

describe("createBatchedWriter()", () => {
  test("writes made in separate callbacks of one event-loop phase leave in one write (a next-tick uncork would make one each)", async () => {
    const { stream, calls } = recorder();
    const write = createBatchedWriter(stream);
    const done: Array<Error | null | undefined> = [];
    // Two callbacks of the same phase, as node:http runs two requests' I/O callbacks: the next-tick
    // queue runs between them.
    await new Promise<void>((resolve) => {
      setImmediate(() => write("a\n", (error) => done.push(error)));
      setImmediate(() => write("b\n", (error) => done.push(error)));
      setImmediate(() => setImmediate(() => setImmediate(resolve)));
    });
    assert.deepEqual(calls, [["a\n", "b\n"]]);
    assert.deepEqual(done.map((error) => error ?? null), [null, null]);
  });

  test("a later turn of the event loop is a new batch", async () => {
    const { stream, calls } = recorder();
    const write = createBatchedWriter(stream);
    write("1\n");
    // Once the first batch has left (its callbacks run), a write starts the next one.
    await new Promise((resolve) => write("2\n", resolve));
    await new Promise((resolve) => write("3\n", resolve));
    assert.deepEqual(calls, [["1\n", "2\n"], ["3\n"]]);
  });

  test("a write to a closed stream is not attempted: its callback gets an error, and no 'error' event is emitted", async () => {
    const { stream, calls } = recorder();
    const errors: Error[] = [];
    stream.on("error", (error) => errors.push(error));
    stream.end();
    const write = createBatchedWriter(stream);
    const error = await new Promise<Error | null | undefined>((resolve) => write("late\n", resolve));
    assert.ok(error instanceof Error);
    write("no callback\n");
    // A write would be flushed by the writer's setImmediate, which runs before this one.
    await settle();
    assert.deepEqual(calls, []);
    assert.deepEqual(errors, []);
  });
});
