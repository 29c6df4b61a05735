// The relay's fixed size limits, in one place so that the start-up check (src/config/load.ts) sees
// the same numbers as the code that enforces them. The other two are `--body-limit` (at most 64 MiB,
// read by the HTTP server) and a NATS server's `max_payload` (learnt when connecting).

/** The largest JSON webhook body, in UTF-16 code units of its text (a Telnyx webhook is 1–10 KB): past it, 413. */
export const JSON_MAX_LENGTH = 1024 * 1024;

/**
 * The largest journal record payload written or believed when read (the spool): an event whose
 * record would be larger is refused (413). A length field above this is corruption, not a record.
 */
export const JOURNAL_RECORD_MAX_BYTES = 16 * 1024 * 1024;
