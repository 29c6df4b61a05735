// Signs a pool of distinct REFER status callbacks for the wrk script (scripts/bench/requests.lua):
// one line per request, "<telnyx-timestamp>\t<telnyx-signature-ed25519>\t<form body>".
//
//   node scripts/bench/make-pool.ts KEY.pem TAG FROM TO TIMESTAMP OUT
//
// Each body is the seed event (SEED_BODY) with "-<TAG><n>" appended to its CallSid, n in [FROM, TO):
// a distinct event, so a distinct event id for the relay, of nearly the seed's size. All are signed
// with one timestamp (Unix seconds), the way Telnyx signs (src/pipeline/sign.ts). Run as a child
// process so that several can sign in parallel, on the load generator's cores.
import { createPrivateKey } from "node:crypto";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import process from "node:process";
import { signDelivery } from "../../src/crypto/sign.ts";
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

if (import.meta.main) {
  const [keyFile, tag, fromText, toText, timestampText, out] = process.argv.slice(2);
  if (out === undefined) {
    process.stderr.write("usage: make-pool.ts KEY.pem TAG FROM TO TIMESTAMP OUT\n");
    process.exit(2);
  }
  const privateKey = createPrivateKey(readFileSync(keyFile as string));
  const from = Number(fromText);
  const to = Number(toText);
  const timestamp = Number(timestampText);
  const fd = openSync(out, "w", 0o600);
  let chunk = "";
  for (let n = from; n < to; n++) {
    const body = distinctBody(`${tag}${n}`);
    const headers = signDelivery(privateKey, body, timestamp);
    chunk += `${headers["telnyx-timestamp"]}\t${headers["telnyx-signature-ed25519"]}\t${body}\n`;
    if (chunk.length > 1 << 20) {
      writeSync(fd, chunk);
      chunk = "";
    }
  }
  writeSync(fd, chunk);
  closeSync(fd);
}
