import type { Buffer } from "node:buffer";
import type { Maintenance } from "./compaction.ts";
import type { GroupCommit } from "./group-commit.ts";
import type { PendingEntry, SpooledEvent } from "./model.ts";
import type { Rotation } from "./rotation.ts";
import { ackRecord, countedBytes, eventRecord, type JournalState } from "./state.ts";

/** The parts of an open journal, wired to one state. */
export interface Parts {
  readonly state: JournalState;
  readonly writer: GroupCommit;
  readonly rotation: Rotation;
  readonly maintenance: Maintenance;
}

/**
 * Makes the append of a journal (see `Journal.append` in journal.ts). An append that would take
 * the journal past maxBytes, or that comes after a failed commit, first waits for the journal to
 * make room (rotate, flush, compact), then answers "full" if there is still none.
 *
 * @param parts The journal's state and parts.
 * @param closing Whether the journal is closing (appends then reject).
 * @returns The append function.
 * @example
 * ```ts
 * const append = appender({ state, writer, rotation, maintenance }, () => closing);
 * if ((await append(event)) === "ok") deliverer.enqueue(event);
 * ```
 */
export function appender(parts: Parts, closing: () => boolean): (event: SpooledEvent) => Promise<"ok" | "full" | "pending"> {
  const { state, writer, rotation, maintenance } = parts;
  const { maxBytes } = state.settings;
  let relief: Promise<void> | undefined;

  /**
   * When the journal is full, or the last commit failed: rotate away an active segment that is
   * mostly acknowledged, flush, compact. Compaction runs even when the flush fails: after a
   * disk-full it is what frees room (by deleting acknowledged segments).
   */
  const relieve = (): Promise<void> => {
    relief ??= (async () => {
      if (state.active.bytes > 0 && state.active.liveBytes * 4 < state.active.bytes) rotation.want();
      await writer.barrier().catch(() => {});
      await maintenance.kick();
    })()
      .catch(() => {})
      .finally(() => {
        relief = undefined;
      });
    return relief;
  };

  const enqueue = (event: SpooledEvent, record: Buffer, ackBytes: number): Promise<"ok"> => {
    const { promise, resolve, reject } = Promise.withResolvers<"ok">();
    const entry: PendingEntry = { event, recordBytes: record.length, ackBytes, home: undefined, copies: [], durable: promise };
    state.pending.set(event.id, entry);
    state.ackReserve += ackBytes;
    writer.push({ kind: "event", entry, bytes: record, settle: { resolve: () => resolve("ok"), reject } });
    return promise;
  };

  /** The answer to an append of an id already pending: "pending", once that copy is durable. */
  const alreadyPending = (entry: PendingEntry): Promise<"pending"> => entry.durable.then(() => "pending" as const);

  const appendWhenRoom = async (event: SpooledEvent, record: Buffer, ackBytes: number): Promise<"ok" | "full" | "pending"> => {
    await relieve();
    if (closing()) throw new Error("journal is closed");
    if (state.failure !== undefined) throw state.failure;
    const existing = state.pending.get(event.id);
    if (existing) return alreadyPending(existing);
    if (countedBytes(state) + record.length + ackBytes > maxBytes) return "full";
    return enqueue(event, record, ackBytes);
  };

  return (event) => {
    if (closing()) return Promise.reject(new Error("journal is closed"));
    if (state.failure !== undefined) return Promise.reject(state.failure);
    // Already pending (a redelivery racing the first copy, or one that came while the downstream
    // is behind): one copy is enough, and the deliverer already has it; answer when it is durable.
    const existing = state.pending.get(event.id);
    if (existing) return alreadyPending(existing);
    let record: Buffer;
    try {
      record = eventRecord(event);
    } catch (error) {
      return Promise.reject(error);
    }
    const ackBytes = ackRecord(event.id).length;
    // After a failed commit (a full disk?) the journal first makes room (see relieve), so an
    // append that comes after the failure was reported does not fail the same way for nothing.
    if (state.lastCommitFailed || countedBytes(state) + record.length + ackBytes > maxBytes) return appendWhenRoom(event, record, ackBytes);
    return enqueue(event, record, ackBytes);
  };
}
