/**
 * Every expected way a delivery can be turned away, as one closed set of values.
 *
 * Stages return these instead of throwing; {@link statusOf} is the single place that maps them to
 * HTTP. Throwing is kept for programmer errors and bad start-up configuration.
 *
 * @module
 */

/** Every reason a request can be turned away; the string is also the `error` field of the JSON answer. */
export const REJECTION_REASONS = [
  "not_found",
  "method_not_allowed",
  "unsupported_media_type",
  "too_large",
  "bad_request",
  "missing_header",
  "repeated_header",
  "malformed_timestamp",
  "stale_timestamp",
  "malformed_signature",
  "bad_signature",
  "invalid_event",
  "sink_unavailable",
  "spool_full",
  "overloaded",
  "dead_letter_unavailable",
] as const;

/** Why a request was not accepted: one of {@link REJECTION_REASONS}. */
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/** A rejection: the reason, and a human sentence that never contains key material. */
export interface Rejection {
  readonly ok: false;
  readonly reason: RejectionReason;
  readonly detail: string;
}

/**
 * Builds a {@link Rejection} value.
 *
 * @param reason One of the closed set of reasons.
 * @param detail A one-line explanation for the sender and the log.
 * @returns The rejection.
 * @example
 * ```ts
 * const r = reject("stale_timestamp", "telnyx-timestamp is 412 s away from now");
 * ```
 */
export function reject(reason: RejectionReason, detail: string): Rejection {
  return { ok: false, reason, detail };
}

const STATUS: Readonly<Record<RejectionReason, number>> = {
  not_found: 404,
  method_not_allowed: 405,
  unsupported_media_type: 415,
  too_large: 413,
  bad_request: 400,
  // Everything about proving the sender is Telnyx is 401: the request is not authenticated.
  missing_header: 401,
  repeated_header: 401,
  malformed_timestamp: 401,
  stale_timestamp: 401,
  malformed_signature: 401,
  bad_signature: 401,
  // Signed but not a valid event: the sender's fault, and retrying the same bytes will not help.
  invalid_event: 400,
  // Ours, and temporary: Telnyx retries (at the failover URL) on anything but 200, so nothing is lost.
  sink_unavailable: 503,
  spool_full: 503,
  overloaded: 503,
  dead_letter_unavailable: 503,
};

/**
 * The HTTP status for a rejection reason.
 *
 * @param reason The reason.
 * @returns An HTTP status code (4xx or 503).
 * @example
 * ```ts
 * statusOf("bad_signature"); // 401
 * ```
 */
export function statusOf(reason: RejectionReason): number {
  return STATUS[reason];
}
