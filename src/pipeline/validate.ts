import { normalizeDateTime } from "./normalize-date-time.ts";
import { reject, type Rejection } from "./rejection.ts";

/**
 * `ReferCallStatus` values. The API reference lists the first four; the TeXML `<Refer>` verb page
 * also lists `no-answer`.
 */
export const REFER_CALL_STATUSES = ["failed", "in-progress", "busy", "canceled", "no-answer"] as const;

/** One of {@link REFER_CALL_STATUSES}. */
export type ReferCallStatus = (typeof REFER_CALL_STATUSES)[number];

/** A valid TeXML REFER status callback. */
export interface ReferStatusEvent {
  readonly accountSid: string;
  readonly callSid: string;
  readonly referCallStatus: ReferCallStatus;
  /** `Timestamp`, normalised to RFC 3339. */
  readonly time: string;
  /**
   * Every field as received: original names, decoded string values, unknown fields included
   * (Telnyx adds fields over time). A null-prototype record: `__proto__` is just a name. Like any
   * JavaScript object it lists integer-like names ("0", "1") first; {@link fields} keeps body order.
   */
  readonly data: Readonly<Record<string, string>>;
  /** The same fields in body order (each name once). */
  readonly fields: ReadonlyArray<readonly [string, string]>;
}

/** The outcome of a successful validation. */
export interface Valid {
  readonly ok: true;
  readonly event: ReferStatusEvent;
}

const REQUIRED = ["AccountSid", "CallSid", "CallSidLegacy", "ReferCallStatus", "Timestamp"] as const;
const SIP_CODE_FIELDS = ["NotifySipResponseCode", "ReferSipResponseCode"] as const;
const SIP_CODE = /^[1-6][0-9]{2}$/;
const STATUSES: ReadonlySet<string> = new Set(REFER_CALL_STATUSES);

/**
 * Checks the fields of a REFER status callback against Telnyx's schema.
 *
 * Required: `AccountSid`, `CallSid`, `CallSidLegacy`, `ReferCallStatus` (one of
 * {@link REFER_CALL_STATUSES}) and `Timestamp` (a date-time, RFC 3339 or the other forms Telnyx's
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
  const data: Record<string, string> = Object.create(null);
  const problems: string[] = [];
  for (const [name, value] of fields) {
    if (Object.hasOwn(data, name)) {
      if (!problems.includes(`${name} is repeated`)) problems.push(`${name} is repeated`);
      continue;
    }
    data[name] = value;
  }

  for (const name of REQUIRED) {
    if (data[name] === undefined) problems.push(`${name} is missing`);
    else if (data[name] === "") problems.push(`${name} is empty`);
  }

  const status = data.ReferCallStatus;
  if (status && !STATUSES.has(status)) {
    problems.push(`ReferCallStatus ${quote(status)} is not one of ${REFER_CALL_STATUSES.join(", ")}`);
  }

  const timestamp = data.Timestamp;
  const time = timestamp ? normalizeDateTime(timestamp) : undefined;
  if (timestamp && time === undefined) problems.push(`Timestamp ${quote(timestamp)} is not a valid date-time with a time zone (RFC 3339 or RFC 2822)`);

  for (const name of SIP_CODE_FIELDS) {
    const code = data[name];
    // Absent or empty: Telnyx sends these only when the REFER succeeded.
    if (code && !SIP_CODE.test(code)) problems.push(`${name} ${quote(code)} is not a SIP status code (100-699)`);
  }

  if (problems.length > 0) return reject("invalid_event", problems.join("; "));
  return {
    ok: true,
    event: {
      accountSid: data.AccountSid as string,
      callSid: data.CallSid as string,
      referCallStatus: status as ReferCallStatus,
      time: time as string,
      data,
      fields,
    },
  };
}

/** Quotes a received value for an error message, cut short so a reason stays one short line. */
function quote(value: string): string {
  return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
}
