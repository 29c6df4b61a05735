import type { FileHandle } from "node:fs/promises";
import { open } from "node:fs/promises";
import { basename } from "node:path";
import { DISK_RETRY_MS, retryDue } from "./disk-retry.ts";
import { syncDirectory } from "./files.ts";
import { createSegment } from "./model.ts";
import type { JournalState } from "./state.ts";

/** A mostly acknowledged active segment is rotated away at 1/16 of segmentBytes (see {@link Rotation.due}). */
const EARLY_ROTATION_SHARE = 16;

/** When and how the journal moves on to a new active segment. */
export interface Rotation {
  /**
   * Whether the next commit starts a new segment first (unless a recent attempt failed): the active
   * one is full, or a move is asked for ({@link Rotation.want}), or it is mostly acknowledged and
   * past a sixteenth of segmentBytes while compaction has caught up. Without the last, acknowledged
   * events stayed on disk until the active segment was full (4 MiB by default), whatever the
   * backlog; and without "caught up" a fast stream would make segments faster than compaction
   * deletes them.
   */
  due(): boolean;
  /** Asks for a move at the next commit even if the active segment is not full. */
  want(): void;
  /** Starts a new active segment; on failure warns (once per run of failures) and writes on in the old one. */
  rotate(): Promise<void>;
}

/**
 * Makes the rotation of a journal. Changes `state.active`, `activeHandle`, `highestSeq` and
 * `segments` (appending the new segment).
 *
 * @param state The journal.
 * @returns Its rotation.
 * @example
 * ```ts
 * const rotation = createRotation(state);
 * if (rotation.due()) await rotation.rotate();
 * ```
 */
export function createRotation(state: JournalState): Rotation {
  const { dir, segmentBytes, now, warn, beforeWrite } = state.settings;
  let wanted = false;
  /** The last failed attempt (journal clock), while they keep failing. */
  let failedAt: number | undefined;
  let failures = 0;

  /** Whether a segment other than the active one waits to be deleted or compacted. */
  const compactionBehind = (): boolean => state.segments.some((segment) => segment !== state.active && segment.kind === "log" && segment.live.size === 0);

  const due = (): boolean => {
    const { active } = state;
    if (!retryDue(failedAt, now())) return false;
    if (active.bytes >= segmentBytes || (wanted && active.bytes > 0)) return true;
    return active.bytes >= segmentBytes / EARLY_ROTATION_SHARE && active.liveBytes * 4 < active.bytes && !compactionBehind();
  };

  const rotate = async (): Promise<void> => {
    const next = createSegment(dir, state.highestSeq + 1, "log");
    let handle: FileHandle | undefined;
    try {
      await beforeWrite("rotate", next.path, 0);
      handle = await open(next.path, "a");
      // The new file's directory entry must be durable before anything written to it is reported durable.
      await syncDirectory(dir);
    } catch (error) {
      await handle?.close().catch(() => {});
      // Not tried again for a while (see due), and told once per run of failures: an unwritable
      // directory would otherwise cost a failed open and a warning on every commit.
      failedAt = now();
      if (failures++ === 0) {
        warn("spool: could not start a new segment; writing on in the current one and trying again every few seconds", {
          segment: basename(next.path),
          retryMs: DISK_RETRY_MS,
          error: String(error),
        });
      }
      return;
    }
    if (failures > 0) warn("spool: started a new segment again", { segment: basename(next.path), failedAttempts: failures });
    failedAt = undefined;
    failures = 0;
    wanted = false;
    const previous = state.activeHandle;
    state.highestSeq = next.seq;
    state.segments.push(next);
    state.active = next;
    state.activeHandle = handle;
    await previous.close().catch((error: unknown) => warn("spool: closing a full segment failed", { error: String(error) }));
  };

  return {
    due,
    want: () => {
      wanted = true;
    },
    rotate,
  };
}
