// The benchmark's peer: what a user would write instead of telnyx-relay, with the tools Telnyx
// points to. Express 5, `express.raw` (the raw bytes are what is signed: a form parser in front
// would break the signature) and the official `telnyx` SDK's verify-only function,
// `TelnyxWebhook#verify` (telnyx/lib/webhooks: header lookup, 300 s tolerance, strict base64,
// WebCrypto Ed25519 with the key imported on each call). The SDK's `client.webhooks.unwrap()`
// cannot be used: after verifying it JSON.parses the body, and TeXML callbacks are form-encoded.
//
// It verifies, parses the form and answers 200; it writes no event anywhere (less work than the
// relay does, which favours the peer). Its own package.json: nothing here is a dependency of
// telnyx-relay.
//
//   TELNYX_PUBLIC_KEY=<base64 raw key> node server.mjs     prints {"port":N} once listening
import express from "express";
import { TelnyxWebhook } from "telnyx/lib/webhooks";

const webhook = new TelnyxWebhook(process.env.TELNYX_PUBLIC_KEY ?? "");
const app = express();

app.post("/webhooks/telnyx", express.raw({ type: "application/x-www-form-urlencoded" }), async (req, res) => {
  const payload = Buffer.isBuffer(req.body) ? req.body.toString("utf8") : "";
  try {
    await webhook.verify(payload, req.headers);
  } catch (error) {
    res.status(401).json({ error: error.message });
    return;
  }
  const event = Object.fromEntries(new URLSearchParams(payload));
  res.status(200).json({ status: "accepted", callSid: event.CallSid });
});

const server = app.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
});
