// Micro-benchmark: what parsing and validating a JSON webhook costs against one Ed25519 verify (the
// issue's budget: about 10%). Runs each step in a loop over a realistic call.hangup body (~1.4 KB,
// the spec's example with sip_headers and custom_headers) and prints ns per operation.
//
//   node scripts/json-bench.ts [iterations]
import { Buffer } from "node:buffer";
import { generateKeyPairSync, verify } from "node:crypto";
import { signDelivery } from "../src/crypto/sign.ts";
import { JSON_WEBHOOK_ROWS } from "../src/events/json-tables.ts";
import { recogniseEvent } from "../src/events/registry.ts";
import { encodeCloudEvent } from "../src/pipeline/cloud-event.ts";
import { decodeBody } from "../src/pipeline/decode.ts";
import { deriveEventId } from "../src/pipeline/event-id.ts";
import { parseStrictJson } from "../src/pipeline/parse-json.ts";
import { validateEvent } from "../src/pipeline/validate.ts";
import { SEED_BODY } from "./seed-event.ts";

const iterations = Number(process.argv[2] ?? 20_000);

const hangup = JSON.parse(JSON_WEBHOOK_ROWS.find((row) => row.eventType === "call.hangup")?.example as string) as { data: { payload: Record<string, unknown> }; meta?: unknown };
hangup.data.payload.sip_headers = [{ name: "User-to-User", value: "1234" }, { name: "Diversion", value: "<sip:+13125550100@sip.telnyx.com>;reason=unconditional" }];
hangup.data.payload.custom_headers = [{ name: "X-Tenant", value: "acme-eu-west" }, { name: "X-Trace", value: "6f1c2a9e0b7d4e3f8a1b2c3d4e5f6a7b" }];
hangup.data.payload.tags = ["support", "eu", "priority"];
hangup.meta = { attempt: 1, delivered_to: "https://relay.example.com/webhooks/telnyx" };
const json = Buffer.from(JSON.stringify(hangup));
const form = Buffer.from(SEED_BODY);

const ROUNDS = 7;

/** ns per call of `run`, over `iterations` calls (after a warm-up). */
function measure(run: () => unknown): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) run();
  return Number(process.hrtime.bigint() - start) / iterations;
}

const median = (values: number[]): number => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)] as number;

const { publicKey, privateKey } = generateKeyPairSync("ed25519");
const headers = signDelivery(privateKey, json.toString(), 1_700_000_000);
const signature = Buffer.from(headers["telnyx-signature-ed25519"], "base64");
const signed = Buffer.concat([Buffer.from(`${headers["telnyx-timestamp"]}|`), json]);

const pipeline = (media: "form" | "json", bytes: Buffer) => () => {
  const body = decodeBody(media, bytes);
  if ("ok" in body) throw new Error(body.detail);
  const type = recogniseEvent(body);
  const valid = validateEvent(type, body);
  if (!valid.ok) throw new Error(valid.detail);
  return encodeCloudEvent(valid.event, deriveEventId(type, body, { body: bytes, timestamp: 1_700_000_000 }));
};

console.log(`JSON body ${json.length} bytes, form body ${form.length} bytes, ${iterations} iterations × ${ROUNDS} rounds, interleaved; medians`);
const steps: ReadonlyArray<readonly [string, () => unknown]> = [
  ["Ed25519 verify (timestamp|body)", () => verify(null, signed, publicKey, signature)],
  ["JSON: JSON.parse alone", () => JSON.parse(json.toString())],
  ["JSON: parseStrictJson (scan + JSON.parse + count)", () => parseStrictJson(json.toString())],
  ["JSON: decode+recognise+validate+id+CloudEvent", pipeline("json", json)],
  ["form (REFER): decode+recognise+validate+id+CloudEvent", pipeline("form", form)],
];
for (const [, run] of steps) for (let i = 0; i < Math.min(iterations, 2000); i++) run(); // warm-up
// Interleaved rounds, medians: the machine may be shared, and a burst of other work then hits every step alike.
const samples = steps.map(() => [] as number[]);
for (let round = 0; round < ROUNDS; round++) steps.forEach(([, run], i) => samples[i]?.push(measure(run)));
const [verifyNs, parseNs, strictNs, jsonNs, formNs] = samples.map(median) as [number, number, number, number, number];
steps.forEach(([label], i) => console.log(`${label.padEnd(52)} ${median(samples[i] as number[]).toFixed(0).padStart(7)} ns/op`));
const ratio = (ns: number): string => `${((ns / verifyNs) * 100).toFixed(1)}%`;
console.log(`JSON parse+validate+encode = ${ratio(jsonNs)} of one verify (JSON.parse alone ${ratio(parseNs)}, the strict parse ${ratio(strictNs)}); REFER ${ratio(formNs)}`);
