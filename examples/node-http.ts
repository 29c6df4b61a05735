// Telnyx webhooks in your own node:http server, with the installed package (npm install
// telnyx-relay). Run: TELNYX_PUBLIC_KEY=<the portal's base64 key> node node-http.ts
import { createServer } from "node:http";
import { createVerifier, parseForm, parsePublicKey, statusOf, validateReferStatus } from "telnyx-relay";

// Once, at start-up: a malformed key fails here, not on the first delivery.
const verify = createVerifier({
  keys: [parsePublicKey(process.env.TELNYX_PUBLIC_KEY ?? "")],
  toleranceSeconds: 300, // how old a delivery may be (replays)
  now: Date.now,
});

const server = createServer(async (req, res) => {
  // The raw bytes, exactly as received: the signature covers them, not a parsed form.
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const rawBody = Buffer.concat(chunks);

  const verified = verify(req.headers["telnyx-timestamp"], req.headers["telnyx-signature-ed25519"], rawBody);
  if (!verified.ok) return reply(res, statusOf(verified.reason), verified.reason);
  const result = validateReferStatus(parseForm(verified.body));
  if (!result.ok) return reply(res, statusOf(result.reason), result.detail);
  console.log(result.event.referCallStatus, result.event.callSid, result.event.time);
  reply(res, 200, "ok");
});

function reply(res: import("node:http").ServerResponse, status: number, text: string): void {
  res.writeHead(status, { "content-type": "text/plain" }).end(`${text}\n`);
}

server.listen(Number(process.env.PORT ?? 3000), "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as import("node:net").AddressInfo).port}/`);
});
