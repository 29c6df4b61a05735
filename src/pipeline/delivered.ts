/** The sink took the event: from now on, losing it is the sink's failure, not the sender's. */
export interface Delivered {
  readonly ok: true;
  /**
   * What the receiver answered that the relay passes back to Telnyx: a synchronous downstream's
   * TeXML document (a 2xx with an XML body), so the user's app steers the call. Usually absent.
   */
  readonly reply?: string;
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
