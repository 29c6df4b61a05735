// RFC 3339 and its ISO-like relatives: `T`, `t` or a space between date and time; 1–9 fraction digits;
// a required zone of `Z`, `z`, `+hh:mm` or `+hhmm`.
const RFC_3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):?(\d{2}))$/;

// RFC 5322 section 3.3 (RFC 2822): `[Wed,] 28 Apr 2021 21:51[:13] +0000`, with the obsolete named
// zones. Names are case-insensitive; tokens are separated by spaces or tabs and nothing else.
const RFC_2822 =
  /^(?:(mon|tue|wed|thu|fri|sat|sun)[ \t]*,[ \t]*)?(\d{1,2})[ \t]+(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[ \t]+(\d{4})[ \t]+(\d{2}):(\d{2})(?::(\d{2}))?[ \t]+(?:(ut|gmt|z|[ecmp][sd]t)|([+-])(\d{2})(\d{2}))$/i;

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

// The obsolete North American zones of RFC 5322 section 4.3, as RFC 3339 offsets.
const NAMED_ZONES: Readonly<Record<string, string>> = {
  ut: "Z",
  gmt: "Z",
  z: "Z",
  est: "-05:00",
  edt: "-04:00",
  cst: "-06:00",
  cdt: "-05:00",
  mst: "-07:00",
  mdt: "-06:00",
  pst: "-08:00",
  pdt: "-07:00",
};

/**
 * Normalises a date-time with a time zone to RFC 3339 text, or returns undefined.
 *
 * Accepts RFC 3339 and the ISO-like spellings Telnyx has documented (`t` or a space for `T`, `z` for
 * `Z`, offsets with or without a colon), and RFC 2822 / RFC 5322 dates including the obsolete zones
 * `UT`, `GMT` and `EST`…`PDT`. Ranges are checked by hand (month, day of that month in that year,
 * hour, minute, second up to 60 for a leap second, offset) and an RFC 2822 day of week must match
 * the date. The result is the same instant in the same offset: the fraction is kept digit for digit
 * and nothing is converted to UTC.
 *
 * @param text The date-time text, with no surrounding whitespace.
 * @returns `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±hh:mm)`, or undefined if the text is not a valid
 *   date-time with a time zone in one of the accepted forms.
 * @example
 * ```ts
 * normalizeDateTime("2021-04-28 21:51:13.591099Z");     // "2021-04-28T21:51:13.591099Z"
 * normalizeDateTime("Wed, 28 Apr 2021 21:51:13 +0000"); // "2021-04-28T21:51:13+00:00"
 * normalizeDateTime("28 Apr 2021 21:51 EST");           // "2021-04-28T21:51:00-05:00"
 * normalizeDateTime("2021-04-28T21:51:13");             // undefined (no time zone)
 * ```
 */
export function normalizeDateTime(text: string): string | undefined {
  return fromRfc3339(text) ?? fromRfc2822(text);
}

function fromRfc3339(text: string): string | undefined {
  const match = RFC_3339.exec(text);
  if (match === null) return undefined;
  const [, year = "", month = "", day = "", hour = "", minute = "", second = "", fraction = ""] = match;
  const [sign, zoneHour = "", zoneMinute = ""] = match.slice(8);
  const zone = sign === undefined ? "Z" : offset(sign, zoneHour, zoneMinute);
  if (zone === undefined) return undefined;
  return format(year, month, day, hour, minute, second, fraction, zone);
}

function fromRfc2822(text: string): string | undefined {
  const match = RFC_2822.exec(text);
  if (match === null) return undefined;
  const [, weekday, day = "", monthName = "", year = "", hour = "", minute = "", second = "00"] = match;
  const [zoneName, sign = "", zoneHour = "", zoneMinute = ""] = match.slice(8);
  const month = String(MONTHS.indexOf(monthName.toLowerCase()) + 1).padStart(2, "0");
  const zone = zoneName === undefined ? offset(sign, zoneHour, zoneMinute) : NAMED_ZONES[zoneName.toLowerCase()];
  if (zone === undefined) return undefined;
  const result = format(year, month, day.padStart(2, "0"), hour, minute, second, "", zone);
  if (result === undefined) return undefined;
  if (weekday !== undefined && WEEKDAYS[dayOfWeek(+year, +month, +day)] !== weekday.toLowerCase()) {
    return undefined;
  }
  return result;
}

/** Checks the ranges of an offset and writes it as `±hh:mm`. */
function offset(sign: string, hour: string, minute: string): string | undefined {
  if (+hour > 23 || +minute > 59) return undefined;
  return `${sign}${hour}:${minute}`;
}

/** Checks the ranges of the fields (all digit strings of the final width) and joins them. */
function format(
  year: string,
  month: string,
  day: string,
  hour: string,
  minute: string,
  second: string,
  fraction: string,
  zone: string,
): string | undefined {
  const m = +month;
  if (m < 1 || m > 12 || +day < 1 || +day > daysInMonth(+year, m)) return undefined;
  if (+hour > 23 || +minute > 59 || +second > 60) return undefined;
  return `${year}-${month}-${day}T${hour}:${minute}:${second}${fraction}${zone}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Day of week in the proleptic Gregorian calendar, 0 = Sunday (Sakamoto's method). */
function dayOfWeek(year: number, month: number, day: number): number {
  const shifts = [0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4];
  const y = month < 3 ? year - 1 : year;
  const days = y + Math.floor(y / 4) - Math.floor(y / 100) + Math.floor(y / 400) + (shifts[month - 1] ?? 0) + day;
  return ((days % 7) + 7) % 7; // year 0000 in January or February makes days negative
}
