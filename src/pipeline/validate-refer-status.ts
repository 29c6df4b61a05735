// The REFER-only validator the library had before the event-type registry, kept for its callers as
// a thin wrapper over validateEvent and the registry's REFER status entry.
import { REFER_STATUS, type ReferCallStatus } from "../events/texml.ts";
import { indexFields } from "./decode.ts";
import type { Rejection } from "./rejection.ts";
import { validateEvent, type ValidFormEvent } from "./validate.ts";

/** A valid TeXML REFER status callback: a {@link ValidFormEvent} with its main fields typed. */
export interface ReferStatusEvent extends ValidFormEvent {
  readonly accountSid: string;
  readonly callSid: string;
  readonly referCallStatus: ReferCallStatus;
  /** `Timestamp`, normalised to RFC 3339. */
  readonly time: string;
  readonly subject: string;
}

/** The outcome of a successful {@link validateReferStatus}. */
export interface Valid {
  readonly ok: true;
  readonly event: ReferStatusEvent;
}

/**
 * Checks the fields of a REFER status callback against Telnyx's schema (the registry's
 * `REFER_STATUS` entry; see validateEvent for the rules).
 *
 * Required: `AccountSid`, `CallSid`, `CallSidLegacy`, `ReferCallStatus` (one of
 * `REFER_CALL_STATUSES`) and `Timestamp` (a date-time, RFC 3339 or the other forms Telnyx's
 * docs show). `NotifySipResponseCode` and `ReferSipResponseCode`, when present and not empty, are
 * SIP codes 100–699. A name given twice is ambiguous and rejected. Every problem found is named.
 *
 * @param fields Name/value pairs, as `parseForm` returns them.
 * @returns The event, or an `invalid_event` rejection listing what is wrong.
 * @example
 * ```ts
 * const result = validateReferStatus(parseForm(body));
 * if (result.ok) console.log(result.event.referCallStatus);
 * ```
 */
export function validateReferStatus(fields: ReadonlyArray<readonly [string, string]>): Valid | Rejection {
  const result = validateEvent(REFER_STATUS, indexFields(fields));
  if (!result.ok) return result;
  const { event } = result;
  if (event.media !== "form") throw new TypeError("validateEvent() gave a JSON event for a form callback");
  return {
    ok: true,
    event: {
      ...event,
      accountSid: event.data.AccountSid as string,
      callSid: event.data.CallSid as string,
      referCallStatus: event.data.ReferCallStatus as ReferCallStatus,
      time: event.time as string,
      subject: event.subject as string,
    },
  };
}
