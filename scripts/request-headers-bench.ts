// Micro-benchmark: reading the webhook's request headers with readRequestHeaders (one pass over
// req.rawHeaders) against node:http's req.headersDistinct, on real IncomingMessage objects parsed by
// node:http from real requests (Telnyx's headers), each read once as the handler does.
//
//   node scripts/request-headers-bench.ts [requests per round, default 20000] [rounds, default 5]
//   node_modules/.bin/deno run --allow-net scripts/request-headers-bench.ts
//
// Rounds alternate the two readers on fresh requests, so a noisy, shared machine slows both alike.
// It prints ns per request for each, and the difference as a share of the CPU time one request costs
// the relay in stdout mode (83 µs, docs/performance.md, of which the relay's own code is 4–6 µs).
import { createServer, type IncomingMessage } from "node:http";
import { connect, type AddressInfo } from "node:net";
import process from "node:process";
import { readRequestHeaders } from "../src/server/request-headers.ts";

const PER_ROUND = Number(process.argv[2] ?? 20_000);
const ROUNDS = Number(process.argv[3] ?? 5);
const RELAY_REQUEST_NS = 83_000;

// What a Telnyx delivery carries (header names as Telnyx sends them), with a small form body.
const BODY = "CallSid=v3%3Ax&ReferCallStatus=in-progress";
const REQUEST =
  "POST /webhooks/telnyx HTTP/1.1\r\nHost: relay.example.com\r\nUser-Agent: telnyx-webhooks\r\nAccept: */*\r\n" +
  "Accept-Encoding: gzip\r\nContent-Type: application/x-www-form-urlencoded\r\n" +
  `Content-Length: ${BODY.length}\r\ntelnyx-timestamp: 1700000000\r\n` +
  `telnyx-signature-ed25519: ${"A".repeat(86)}==\r\nX-Forwarded-For: 192.0.2.1\r\nX-Forwarded-Proto: https\r\n\r\n${BODY}`;

/** Parses `count` real requests and hands back their IncomingMessage objects, headers not yet read. */
async function parsedRequests(count: number): Promise<IncomingMessage[]> {
  const requests: IncomingMessage[] = [];
  const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
    requests.push(req);
    req.resume();
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const socket = connect((server.address() as AddressInfo).port, "127.0.0.1");
  socket.resume();
  for (let sent = 0; sent < count; sent += 100) {
    socket.write(REQUEST.repeat(Math.min(100, count - sent)));
    while (requests.length < Math.min(sent + 100, count)) await new Promise((resolve) => setImmediate(resolve));
  }
  socket.destroy();
  server.close();
  return requests;
}

/** The five values the handler needs, read through req.headersDistinct. */
function viaHeadersDistinct(req: IncomingMessage): unknown {
  const headers = req.headersDistinct;
  return {
    contentType: headers["content-type"]?.[0],
    contentLength: headers["content-length"]?.[0],
    expectsContinue: headers.expect?.some((value) => /100-continue/i.test(value)) ?? false,
    timestamp: headers["telnyx-timestamp"],
    signature: headers["telnyx-signature-ed25519"],
  };
}

function time(requests: readonly IncomingMessage[], read: (req: IncomingMessage) => unknown): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (const req of requests) if (read(req) !== undefined) sink++;
  const ns = Number(process.hrtime.bigint() - start);
  if (sink !== requests.length) throw new Error("unreachable");
  return ns / requests.length;
}

const results: Record<"rawHeaders" | "headersDistinct", number[]> = { rawHeaders: [], headersDistinct: [] };
for (let round = 0; round < ROUNDS; round++) {
  const [first, second] = await Promise.all([parsedRequests(PER_ROUND), parsedRequests(PER_ROUND)]);
  const order = round % 2 === 0 ? (["rawHeaders", "headersDistinct"] as const) : (["headersDistinct", "rawHeaders"] as const);
  for (const [i, name] of order.entries()) {
    const requests = (i === 0 ? first : second) as IncomingMessage[];
    results[name].push(time(requests, name === "rawHeaders" ? (req) => readRequestHeaders(req.rawHeaders) : viaHeadersDistinct));
  }
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const raw = median(results.rawHeaders);
const distinct = median(results.headersDistinct);
console.log(`runtime: ${process.versions.deno ? `deno ${process.versions.deno}` : `node ${process.version}`}; ${ROUNDS} rounds of ${PER_ROUND} requests, medians`);
console.log(`readRequestHeaders(req.rawHeaders): ${raw.toFixed(0)} ns per request`);
console.log(`req.headersDistinct:                ${distinct.toFixed(0)} ns per request`);
console.log(`difference: ${(distinct - raw).toFixed(0)} ns = ${((100 * (distinct - raw)) / RELAY_REQUEST_NS).toFixed(2)}% of a relayed request (~${RELAY_REQUEST_NS / 1000} µs)`);
