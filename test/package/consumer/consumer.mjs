// A plain-JavaScript user of the installed package (scripts/pack-test.ts runs it with Node 20,
// Node 24 and Deno, from a project where `npm install telnyx-relay-*.tgz` put it in node_modules):
// every function of the library once, on a delivery signed with a key made here. Prints one line,
// "consumer: ok …", or throws.
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import process from "node:process";
import {
  createVerifier,
  deriveEventId,
  encodeCloudEvent,
  indexFields,
  normalizeDateTime,
  parseForm,
  parsePublicKey,
  REFER_CALL_STATUSES,
  REFER_STATUS,
  REFER_STATUS_TYPE,
  signDelivery,
  statusOf,
  toCloudEvent,
  validateReferStatus,
  verifyMessage,
} from "telnyx-relay";

const { publicKey, privateKey } = generateKeyPairSync("ed25519");
const portalKey = publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");
const key = parsePublicKey(portalKey);
const now = 1_700_000_000_000;
// A REFER status callback as Telnyx POSTs it (the form encodes "+0000" as "%2B0000").
const body = new URLSearchParams({
  AccountSid: "acct-1",
  CallSid: "v3:call-1",
  CallSidLegacy: "v3:call-1",
  ReferCallStatus: REFER_CALL_STATUSES[1],
  Timestamp: "2024-01-15T10:30:00+0000",
  NotifySipResponseCode: "200",
  ReferSipResponseCode: "202",
}).toString();
const headers = signDelivery(privateKey, body, now / 1000);
const verify = createVerifier({ keys: [key], toleranceSeconds: 300, now: () => now });

const verified = verify(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], new TextEncoder().encode(body));
assert.equal(verified.ok, true, JSON.stringify(verified));
const tampered = verify(headers["telnyx-timestamp"], headers["telnyx-signature-ed25519"], new TextEncoder().encode(`${body}&x=1`));
assert.equal(tampered.ok, false);
assert.equal(statusOf(tampered.reason), 401);
assert.equal(verifyMessage([key], new TextEncoder().encode(`${headers["telnyx-timestamp"]}|${body}`), Buffer.from(headers["telnyx-signature-ed25519"], "base64")), true);

const fields = parseForm(verified.body);
assert.deepEqual(fields[0], ["AccountSid", "acct-1"]);
const valid = validateReferStatus(fields);
assert.equal(valid.ok, true, JSON.stringify(valid));
assert.equal(normalizeDateTime("2024-01-15T10:30:00+0000"), "2024-01-15T10:30:00+00:00");
const id = deriveEventId(REFER_STATUS, indexFields(fields), verified);
assert.match(id, /^[0-9a-f]{32}$/);
const event = toCloudEvent(valid.event, id);
assert.equal(event.type, REFER_STATUS_TYPE);
assert.equal(event.time, "2024-01-15T10:30:00+00:00");
assert.equal(JSON.parse(encodeCloudEvent(valid.event, id).json).id, id);

const runtime = typeof Deno === "undefined" ? `node ${process.version}` : `deno ${Deno.version.deno}`;
process.stdout.write(`consumer: ok on ${runtime} (event ${id})\n`);
