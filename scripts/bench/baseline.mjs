// The benchmark's baseline, the ceiling: the least a Telnyx webhook receiver can do on node:http.
// Reads the body, checks the timestamp is within 300 s, verifies the Ed25519 signature over
// "<timestamp>|<body>" with a KeyObject made once at start-up, answers 200 (401 if it does not hold).
// Written the obvious way (Buffer.concat, req.headers): a naive ceiling, not a tuned one.
// Plain JavaScript, like the peer: Node's type stripping would add ~17 MB to its RSS.
//
//   BENCH_PUBLIC_KEY=<base64 raw key> node scripts/bench/baseline.mjs     prints {"port":N} once listening
import { Buffer } from "node:buffer";
import { createPublicKey, verify } from "node:crypto";
import { createServer } from "node:http";
import process from "node:process";

const SPKI_ED25519_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const key = createPublicKey({
  key: Buffer.concat([SPKI_ED25519_PREFIX, Buffer.from(process.env.BENCH_PUBLIC_KEY ?? "", "base64")]),
  format: "der",
  type: "spki",
});

const server = createServer((req, res) => {
  const chunks = [];
  req.on("data", (chunk) => chunks.push(chunk));
  req.on("end", () => {
    const timestamp = req.headers["telnyx-timestamp"];
    const signature = req.headers["telnyx-signature-ed25519"];
    const ok =
      typeof timestamp === "string" &&
      typeof signature === "string" &&
      Math.abs(Math.floor(Date.now() / 1000) - Number(timestamp)) <= 300 &&
      verify(null, Buffer.concat([Buffer.from(`${timestamp}|`), ...chunks]), key, Buffer.from(signature, "base64"));
    res.writeHead(ok ? 200 : 401, { "Content-Type": "text/plain" });
    res.end(ok ? "ok\n" : "bad signature\n");
  });
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
});
