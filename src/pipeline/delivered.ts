/** The sink took the event: from now on, losing it is the sink's failure, not the sender's. */
export interface Delivered {
  readonly ok: true;
}

/**
 * The one {@link Delivered} value every sink answers with. It lives with the pipeline (whose last
 * stage, the hand-on, answers with it) so that the pipeline needs nothing from `sinks/`.
 *
 * @example
 * ```ts
 * return DELIVERED;
 * ```
 */
export const DELIVERED: Delivered = Object.freeze({ ok: true });
