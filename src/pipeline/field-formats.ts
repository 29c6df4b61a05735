import type { FieldFormat } from "../events/event-type.ts";
import { normalizeDateTime } from "./normalize-date-time.ts";

/** How one field format is checked, and how its failure reads. */
export interface FormatCheck {
  /** Completes "<field> "<value>" is not …" in a problem. */
  readonly description: string;
  /** The value as the relay uses it (a date-time normalised), or undefined when it is not of the format. */
  check(value: string): string | undefined;
}

const SIP_CODE = /^[1-6][0-9]{2}$/;
// Form values are text; a JSON Schema integer arrives as decimal digits. Leading zeros are accepted:
// nothing Telnyx documents rules them out, and refusing a real callback costs more than keeping it.
const INTEGER = /^-?[0-9]+$/;

/**
 * The check of each field format a registry entry can name. A `Record` over every format, so a
 * format added to `FieldFormat` without a check here fails type-checking.
 *
 * @example
 * ```ts
 * FIELD_FORMATS["sip-code"].check("202"); // "202"
 * FIELD_FORMATS["date-time"].check("2021-04-28 21:51:13Z"); // "2021-04-28T21:51:13Z"
 * ```
 */
export const FIELD_FORMATS: Readonly<Record<FieldFormat, FormatCheck>> = {
  "date-time": {
    description: "a valid date-time with a time zone (RFC 3339 or RFC 2822)",
    check: normalizeDateTime,
  },
  "sip-code": {
    description: "a SIP status code (100-699)",
    check: (value) => (SIP_CODE.test(value) ? value : undefined),
  },
  integer: {
    description: "an integer",
    check: (value) => (INTEGER.test(value) ? value : undefined),
  },
};
