// The connection cap under a slow-client flood, and refused connections whose client ignores our
// FIN: real loopback sockets, a lowered cap to keep the counts small (the file descriptor limit).
import assert from "node:assert/strict";
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { after, before, describe, test } from "node:test";
import { signDelivery } from "../../src/crypto/sign.ts";
import { createLogger } from "../../src/lib/log.ts";
import { createMetrics } from "../../src/lib/metrics.ts";
import { createRelayServer, listen } from "../../src/server/listen.ts";
import { SEED_BODY } from "../../scripts/seed-event.ts";
import { FORM, rawExchange, statusOfRaw } from "../support/http.ts";
import { startTestRelay, type TestRelay } from "../support/in-process.ts";
import { makeKeys, nowSeconds } from "../support/keys.ts";
import { until } from "../support/wait.ts";

const keys = makeKeys();
const CAP = 16;

/** A signed delivery of the seed event as raw HTTP/1.1, closing the connection after the answer. */
function signedRequest(): string {
  const h = signDelivery(keys.privateKey, SEED_BODY, nowSeconds());
  return (
    `POST /webhooks/telnyx HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: ${FORM}\r\nContent-Length: ${SEED_BODY.length}\r\n` +
    `telnyx-timestamp: ${h["telnyx-timestamp"]}\r\ntelnyx-signature-ed25519: ${h["telnyx-signature-ed25519"]}\r\n\r\n${SEED_BODY}`
  );
}

/** Opens a connection that is connected once the promise resolves, and records when the server closes it. */
async function open(port: number, sockets: Socket[], closed: Set<Socket>, first = ""): Promise<Socket> {
  const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
  socket.on("error", () => {});
  socket.on("close", () => closed.add(socket));
  socket.on("end", () => closed.add(socket)); // a FIN counts: the server let go of it
  sockets.push(socket);
  await once(socket, "connect");
  if (first !== "") socket.write(first);
  return socket;
}

describe("the connection cap under a flood of slow and silent clients", () => {
  let relay: TestRelay;
  const attackers: Socket[] = [];
  const slow = new Set<Socket>();
  const closed = new Set<Socket>();
  let drip: ReturnType<typeof setInterval> | undefined;

  before(async () => {
    relay = await startTestRelay(keys, {}, undefined, { maxConnections: CAP });
  });
  after(async () => {
    clearInterval(drip);
    for (const socket of attackers) socket.destroy();
    await relay.stop();
  });

  test("a signed delivery is served while 2.5x the cap in silent and byte-a-time clients keep connecting", async () => {
    // Headers a byte at a time, as the stress test did (every 100 ms here, to keep the test short).
    drip = setInterval(() => {
      for (const socket of slow) if (!closed.has(socket) && socket.writable) socket.write("x");
    }, 100);
    for (let round = 0; round < 4; round++) {
      for (let i = 0; i < 10; i++) {
        if (i % 2 === 0) await open(relay.port, attackers, closed);
        else slow.add(await open(relay.port, attackers, closed, "POST /webhooks/telnyx HTTP/1.1\r\nX-Slow: "));
      }
      // Real attackers do not wait for us: the delivery arrives while the flood goes on.
      const response = await rawExchange(relay.port, signedRequest(), 5000);
      assert.ok(response !== "", `round ${round}: the delivery got no answer (the connection was turned away)`);
      assert.equal(statusOfRaw(response), 200, response);
    }
    // 40 attackers and 4 deliveries through a cap of 16: the stalest idle attackers made room (their
    // FINs may still be on the way).
    await until(() => closed.size >= attackers.length - CAP, `${attackers.length - CAP} of ${attackers.length} attackers closed`);
    assert.ok(relay.logs.some((entry) => entry.message === "connection cap reached" && entry.maxConnections === CAP));
  });
});

test("at the cap with every connection busy, a new connection is turned away, and none in flight is closed", async () => {
  const relay = await startTestRelay(keys, {}, undefined, { maxConnections: 4 });
  const busy: Socket[] = [];
  const closed = new Set<Socket>();
  try {
    // Headers complete, body still to come: requests in flight, not idle. The relay's 100 Continue
    // says it has the request in hand.
    const invited = new Set<Socket>();
    for (let i = 0; i < 4; i++) {
      const request = `POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: ${SEED_BODY.length}\r\nExpect: 100-continue\r\n\r\nCall`;
      const socket = await open(relay.port, busy, closed, request);
      socket.on("data", (chunk: Buffer) => void (chunk.toString("latin1").includes(" 100 Continue") && invited.add(socket)));
    }
    await until(() => invited.size === 4, "every request in the relay's hands (its 100 Continue)");
    const turnedAway = await rawExchange(relay.port, signedRequest(), 5000);
    assert.equal(turnedAway, "", "the fifth connection must be closed without an answer");
    assert.equal(closed.size, 0, "no request in flight may be closed to admit a new connection");
  } finally {
    for (const socket of busy) socket.destroy();
    await relay.stop();
  }
});

test("a client that ignores the FIN after its 408 loses the connection after the grace", async () => {
  const server = createRelayServer({
    handler: (_req, res) => res.end(),
    requestTimeoutMs: 500, // the header deadline, too
    closeGraceMs: 300,
    log: createLogger(() => {}, "error", Date.now),
    metrics: createMetrics(),
    now: Date.now,
  });
  const { port } = await listen(server, { port: 0, host: "127.0.0.1" }, createLogger(() => {}, "error", Date.now));
  const connections = (): Promise<number> => new Promise((resolve, reject) => server.getConnections((error, count) => (error ? reject(error) : resolve(count))));
  const client = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
  try {
    client.on("error", () => {});
    let answer = "";
    client.on("data", (chunk: Buffer) => (answer += chunk.toString("latin1")));
    await once(client, "connect");
    client.write("POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\n"); // headers never finished
    await once(client, "end"); // the server's FIN; this client keeps its own side open
    assert.equal(statusOfRaw(answer), 408, answer);
    // Before, the server held it forever.
    await until(async () => (await connections()) === 0, "the server to let go of the half-closed connection");
  } finally {
    client.destroy();
    server.close();
  }
});
