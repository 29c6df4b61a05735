// Signs a pool of REFER status callbacks for the wrk script (scripts/bench/requests.lua): one line
// per request, "<telnyx-timestamp>\t<telnyx-signature-ed25519>\t<attempt>\t<form body>", where
// attempt is 0 for an event's first delivery and n ≥ 1 for its n-th redelivery.
//
//   node scripts/bench/make-pool.ts KEY.pem TAG FROM TO TIMESTAMP OUT [PERCENT PRIME [form|mixed]]
//
// Entries FROM to TO-1 of the pool's sequence (poolEntry): each is an event e, the seed event
// (SEED_BODY) with "-<TAG><e>" appended to its CallSid (a distinct event id for the relay, of nearly
// the seed's size), signed the way Telnyx signs (src/crypto/sign.ts) with TIMESTAMP (Unix seconds)
// for a first delivery and a later one for a redelivery. PERCENT (0, 50, 100; default 0) is the share
// of redeliveries after the PRIME first entries. Run as a child process so that several can sign in
// parallel. `mixed`: every even event is a JSON call.* webhook (distinctJsonBody) instead.
import { createPrivateKey, hash } from "node:crypto";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import process from "node:process";
import { signDelivery } from "../../src/crypto/sign.ts";
import { JSON_WEBHOOK_ROWS } from "../../src/events/json-tables.ts";
import { SEED_BODY } from "../seed-event.ts";

const CALL_SID = "CallSid=";

/**
 * The seed body with a suffix appended to its CallSid value.
 *
 * @param suffix Characters that need no form encoding ([A-Za-z0-9-]).
 * @returns The form body.
 */
export function distinctBody(suffix: string): string {
  const start = SEED_BODY.indexOf(CALL_SID);
  if (start === -1) throw new Error("the seed body has no CallSid field");
  const end = SEED_BODY.indexOf("&", start);
  const at = end === -1 ? SEED_BODY.length : end;
  return `${SEED_BODY.slice(0, at)}-${suffix}${SEED_BODY.slice(at)}`;
}

// The JSON webhooks of the mixed row: the spec's call.* examples, made realistic (~1–2 KB: SIP and
// custom headers, tags, meta), one per event type in turn.
const JSON_CALL_BODIES = JSON_WEBHOOK_ROWS.filter((row) => row.eventType.startsWith("call.") && row.example !== undefined).map((row) => {
  const body = JSON.parse(row.example as string) as { data: { id: string; payload: Record<string, unknown> }; meta?: unknown };
  body.data.payload.sip_headers ??= [{ name: "User-to-User", value: "1234" }, { name: "Diversion", value: "<sip:+13125550100@sip.telnyx.com>;reason=unconditional" }];
  body.data.payload.custom_headers ??= [{ name: "X-Tenant", value: "acme-eu-west" }, { name: "X-Trace", value: "6f1c2a9e0b7d4e3f8a1b2c3d4e5f6a7b" }];
  body.data.payload.tags ??= ["support", "eu", "priority"];
  body.meta = { attempt: 1, delivered_to: "https://relay.example.com/webhooks/telnyx" };
  return body;
});

/**
 * A JSON call.* webhook with a distinct `data.id` (32 hex digits: the bench's id counter reads
 * those; Telnyx's are UUIDs, which the relay takes as they are).
 *
 * @param suffix What makes the id distinct.
 * @param n Picks the event type, in turn.
 * @returns The JSON text.
 */
export function distinctJsonBody(suffix: string, n: number): string {
  const body = JSON_CALL_BODIES[n % JSON_CALL_BODIES.length] as { data: { id: string } };
  return JSON.stringify({ ...body, data: { ...body.data, id: hash("sha256", suffix, "hex").slice(0, 32) } });
}

/** What entry n of a pool sends. */
export interface PoolEntry {
  /** The event (its CallSid suffix). */
  readonly event: number;
  /** 0: its first delivery; n ≥ 1: its n-th redelivery. */
  readonly attempt: number;
}

// Redeliveries are signed with TIMESTAMP + 1 … + REDELIVERY_STAMPS, cycling: each is new signed
// bytes (as Telnyx signs each attempt anew), and within the relay's 300 s tolerance in either
// direction for the pool's whole life (bench.ts uses a pool at most 270 s after TIMESTAMP).
const REDELIVERY_STAMPS = 240;

/**
 * The pool's sequence. With `percent` 0 every entry is a new event. Otherwise the first `prime`
 * entries are new events 0 … prime-1 (sent before the load, so that every redelivery is of an event
 * already accepted), and after them, for 100: redeliveries of those events in turn, round after
 * round; for 50: new and redelivered alternately, entry prime+2k the new event prime+k, entry
 * prime+2k+1 a redelivery of event k (more than prime entries after its first delivery, far more
 * than the requests in flight).
 *
 * @param n The entry's index.
 * @param percent The share of redeliveries after the prime entries.
 * @param prime How many entries come first as new events (ignored for 0).
 * @returns The event and attempt of entry n.
 * @example
 * ```ts
 * poolEntry(1003, 100, 1000); // { event: 3, attempt: 1 }
 * poolEntry(1003, 50, 1000); // { event: 1, attempt: 1 }
 * ```
 */
export function poolEntry(n: number, percent: 0 | 50 | 100, prime: number): PoolEntry {
  if (percent === 0 || n < prime) return { event: n, attempt: 0 };
  const m = n - prime;
  if (percent === 100) return { event: m % prime, attempt: 1 + Math.floor(m / prime) };
  return m % 2 === 0 ? { event: prime + m / 2, attempt: 0 } : { event: (m - 1) / 2, attempt: 1 };
}

/**
 * The telnyx-timestamp of an attempt.
 *
 * @param signedAt The pool's timestamp (Unix seconds): the first deliveries'.
 * @param attempt 0 for a first delivery.
 * @returns Unix seconds.
 * @example
 * ```ts
 * attemptTimestamp(1_700_000_000, 2); // 1_700_000_002
 * ```
 */
export function attemptTimestamp(signedAt: number, attempt: number): number {
  return attempt === 0 ? signedAt : signedAt + 1 + ((attempt - 1) % REDELIVERY_STAMPS);
}

if (import.meta.main) {
  const [keyFile, tag, fromText, toText, timestampText, out, percentText = "0", primeText = "0", kind = "form"] = process.argv.slice(2);
  const percent = Number(percentText);
  if (out === undefined || (percent !== 0 && percent !== 50 && percent !== 100)) {
    process.stderr.write("usage: make-pool.ts KEY.pem TAG FROM TO TIMESTAMP OUT [0|50|100 PRIME]\n");
    process.exit(2);
  }
  const prime = Number(primeText);
  const privateKey = createPrivateKey(readFileSync(keyFile as string));
  const from = Number(fromText);
  const to = Number(toText);
  const timestamp = Number(timestampText);
  const fd = openSync(out, "w", 0o600);
  let chunk = "";
  for (let n = from; n < to; n++) {
    const { event, attempt } = poolEntry(n, percent, prime);
    const body = kind === "mixed" && event % 2 === 0 ? distinctJsonBody(`${tag}${event}`, event / 2) : distinctBody(`${tag}${event}`);
    const headers = signDelivery(privateKey, body, attemptTimestamp(timestamp, attempt));
    chunk += `${headers["telnyx-timestamp"]}\t${headers["telnyx-signature-ed25519"]}\t${attempt}\t${body}\n`;
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = "";
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
}
