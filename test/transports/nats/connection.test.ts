// The client connection against a scripted server on loopback (real sockets, the real client):
// what nats-server cannot be made to do on cue — drop a connection between a publish and its reply.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import type { Logger } from "../../../src/lib/log.ts";
import { loadCredentials } from "../../../src/transports/nats/auth.ts";
import { createNatsConnection, type NatsConnection } from "../../../src/transports/nats/connection.ts";
import { publish } from "../../../src/transports/nats/jetstream.ts";
import { freePort } from "../../support/downstream.ts";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };
const INFO = `INFO ${JSON.stringify({ server_id: "S", headers: true, max_payload: 1024, nonce: "abc" })}\r\n`;

/** A scripted server: INFO, PONG to PING, `onConnect` for CONNECT, and `onPublish` for every PUB/HPUB. */
async function scripted(onPublish: (socket: Socket, connection: number, frame: { subject: string; replyTo: string; headers: string; payload: string }) => void, onConnect?: (socket: Socket, line: string) => boolean): Promise<{ server: Server; url: string; connects: () => number }> {
  let connects = 0;
  const server = createServer((socket) => {
    const connection = ++connects;
    socket.write(INFO);
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        const end = buffered.indexOf("\r\n");
        if (end === -1) return;
        const line = buffered.toString("latin1", 0, end);
        const [verb, ...args] = line.split(" ");
        if (verb === "HPUB" || verb === "PUB") {
          const total = Number(args.at(-1));
          if (buffered.length < end + 2 + total + 2) return;
          const body = buffered.subarray(end + 2, end + 2 + total).toString("latin1");
          const headerBytes = verb === "HPUB" ? Number(args.at(-2)) : 0;
          buffered = buffered.subarray(end + 2 + total + 2);
          onPublish(socket, connection, { subject: args[0] as string, replyTo: args[1] as string, headers: body.slice(0, headerBytes), payload: body.slice(headerBytes) });
          continue;
        }
        buffered = buffered.subarray(end + 2);
        if (verb === "CONNECT" && onConnect?.(socket, line) === false) return;
        if (verb === "PING") socket.write("PONG\r\n");
      }
    });
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `nats://127.0.0.1:${(server.address() as AddressInfo).port}`, connects: () => connects };
}

function connect(urls: readonly string[], auth = loadCredentials({ kind: "none" })): NatsConnection {
  return createNatsConnection({ urls: urls.map((url) => new URL(url)), credentials: auth, ca: undefined, name: "test", timeoutMs: 1000, random: () => 0.5, log: quiet, onReconnect: () => {} });
}

const ack = (socket: Socket, replyTo: string, body: string): void => void socket.write(`MSG ${replyTo} 1 ${Buffer.byteLength(body)}\r\n${body}\r\n`);

describe("createNatsConnection()", () => {
  test("a publish whose connection drops before the PubAck is sent again on the next connection, with the same Nats-Msg-Id", async () => {
    const seen: Array<{ connection: number; headers: string }> = [];
    const { server, url } = await scripted((socket, connection, frame) => {
      seen.push({ connection, headers: frame.headers });
      if (connection === 1) socket.destroy(); // dropped: no PubAck
      else ack(socket, frame.replyTo, '{"stream":"S","seq":1}');
    });
    const client = connect([url]);
    try {
      assert.deepEqual(await client.first, { ok: true });
      const result = await publish(client, "telnyx.x", "event-1", Buffer.from("{}"), 5000, Date.now);
      assert.deepEqual(result, { kind: "stored", stream: "S", seq: 1, duplicate: false });
      assert.deepEqual(seen.map((s) => s.connection), [1, 2]);
      for (const { headers } of seen) assert.match(headers, /^NATS\/1\.0\r\nNats-Msg-Id: event-1\r\n\r\n$/);
    } finally {
      await client.close();
      server.close();
    }
  });

  test("a payload over the server's max_payload is refused without being sent", async () => {
    let published = 0;
    const { server, url } = await scripted(() => void published++);
    const client = connect([url]);
    try {
      await client.first;
      const result = await publish(client, "telnyx.x", "big", Buffer.alloc(2000, 0x61), 1000, Date.now);
      assert.equal(result.kind, "refuse");
      assert.equal(published, 0);
    } finally {
      await client.close();
      server.close();
    }
  });

  test("a 503 (no responders) with a stream for the subject is a retry; with none, a refusal", async () => {
    let streams: string[] = ["S"];
    const { server, url } = await scripted((socket, _connection, frame) => {
      if (frame.subject === "$JS.API.STREAM.NAMES") ack(socket, frame.replyTo, JSON.stringify({ streams }));
      else socket.write(`HMSG ${frame.replyTo} 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n`);
    });
    const client = connect([url]);
    try {
      await client.first;
      assert.equal((await publish(client, "telnyx.x", "a", Buffer.from("{}"), 1000, Date.now)).kind, "retry");
      streams = [];
      const refused = await publish(client, "telnyx.x", "a", Buffer.from("{}"), 1000, Date.now);
      assert.deepEqual(refused, { kind: "refuse", reason: "no JetStream stream captures the subject telnyx.x", code: 404 });
    } finally {
      await client.close();
      server.close();
    }
  });

  test("-ERR at CONNECT (bad credentials) makes the first pass fail as fatal, without the token in the message", async () => {
    const { server, url } = await scripted(() => {}, (socket) => {
      socket.write("-ERR 'Authorization Violation'\r\n");
      socket.destroy();
      return false;
    });
    const client = connect([url], loadCredentials({ kind: "token", token: "s3cr3t-token" }));
    try {
      const first = await client.first;
      assert.equal(first.ok, false);
      assert.ok(!first.ok && first.fatal);
      assert.ok(!first.ok && first.errors.join(" ").includes("Authorization Violation"));
      assert.ok(!first.ok && !first.errors.join(" ").includes("s3cr3t-token"));
    } finally {
      await client.close();
      server.close();
    }
  });

  test("no server listening: the first pass fails (not fatal), and a request waits at most its own deadline", async () => {
    const client = connect([`nats://127.0.0.1:${await freePort()}`, `nats://127.0.0.1:${await freePort()}`]);
    try {
      const first = await client.first;
      assert.ok(!first.ok && !first.fatal && first.errors.length === 2 && first.errors.every((error) => error.includes("ECONNREFUSED")));
      const result = await publish(client, "telnyx.x", "a", Buffer.from("{}"), 300, Date.now);
      assert.equal(result.kind, "retry");
      assert.ok(result.kind === "retry" && !result.reached, "not connected: not reached");
    } finally {
      await client.close();
    }
  });
});
