/**
 * How long after a failed disk operation the spool tries the disk again, in ms (on the journal's
 * clock). The journal waits this long before it tries again to start a segment, or to delete or
 * compact one: an unwritable directory would otherwise cost a failed open and a warning on every
 * commit. The spool sink reports not ready for as long after an append failed on the disk, so a
 * load balancer steers deliveries away while the disk fails and back when the journal tries again.
 * 5 s: a disk that got room back is noticed within a typical readiness-probe period.
 */
export const DISK_RETRY_MS = 5_000;

/**
 * Whether an operation that last failed at `failedAt` may be tried again at `time`. A clock that
 * went back does not hold it up.
 *
 * @param failedAt When it last failed, or undefined when it has not.
 * @param time Now, on the same clock.
 * @returns True when it may be tried.
 * @example
 * ```ts
 * if (retryDue(rotationFailedAt, now())) await rotate();
 * ```
 */
export function retryDue(failedAt: number | undefined, time: number): boolean {
  return failedAt === undefined || Math.abs(time - failedAt) >= DISK_RETRY_MS;
}

/**
 * Whether an error says the disk (or the user's quota) is full.
 *
 * @param error Anything thrown by a file operation.
 * @returns True for ENOSPC and EDQUOT.
 * @example
 * ```ts
 * if (!isDiskFull(error)) throw error;
 * ```
 */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === "ENOSPC" || code === "EDQUOT";
}
