// HTTP/1.1 as clients other than fetch() speak it, over a real loopback socket to an in-process
// relay: pipelining, the absolute form, CONNECT, half-closed connections.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { signDelivery } from "../../src/crypto/sign.ts";
import { SEED_BODY } from "../../scripts/seed-event.ts";
import { FORM, rawExchange, statusOfRaw } from "../support/http.ts";
import { startTestRelay, type TestRelay } from "../support/in-process.ts";
import { makeKeys, nowSeconds } from "../support/keys.ts";
import { isDeno } from "../support/runtime.ts";

const keys = makeKeys();

/** A signed delivery of the seed event as raw HTTP/1.1, to `target`. */
function signedRequest(target = "/webhooks/telnyx", extraHeaders = ""): string {
  const h = signDelivery(keys.privateKey, SEED_BODY, nowSeconds());
  return (
    `POST ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${FORM}\r\nContent-Length: ${SEED_BODY.length}\r\n` +
    `telnyx-timestamp: ${h["telnyx-timestamp"]}\r\ntelnyx-signature-ed25519: ${h["telnyx-signature-ed25519"]}\r\n${extraHeaders}\r\n${SEED_BODY}`
  );
}

/** The status lines of every response in a raw exchange, in order. */
function statuses(response: string): number[] {
  return [...response.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
}

/** Sends `request`, then half-closes (FIN) at once, and returns what came back before the server closed. */
function sendAndHalfClose(port: number, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: "127.0.0.1" });
    const chunks: Buffer[] = [];
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", () => {});
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.end(request);
  });
}

describe("HTTP/1.1 beyond fetch()", () => {
  let relay: TestRelay;
  before(async () => {
    relay = await startTestRelay(keys);
  });
  after(() => relay.stop());

  test("pipelined: a signed event then a malformed request at once → 200 then 400, in that order", async () => {
    const before = relay.lines.length;
    const response = await rawExchange(relay.port, `${signedRequest()}GARBAGE\r\n\r\n`);
    assert.deepEqual(statuses(response), [200, 400], response);
    assert.match(response, /Telnyx-Relay-Status: accepted[^]*"error":"bad_request"/i);
    assert.equal(relay.lines.length, before + 1);
  });

  test("pipelined: two signed events and a malformed request → 200, 200, 400", async () => {
    const response = await rawExchange(relay.port, `${signedRequest()}${signedRequest()}GARBAGE\r\n\r\n`);
    assert.deepEqual(statuses(response), [200, 200, 400], response);
  });

  test("an absolute-form target (RFC 9112 §3.2.2) is served like its path", async () => {
    const response = await rawExchange(relay.port, signedRequest("http://relay.example:8080/webhooks/telnyx?source=telnyx", "Connection: close\r\n"));
    assert.equal(statusOfRaw(response), 200, response);
    const health = await rawExchange(relay.port, "GET HTTP://relay.example/healthz HTTP/1.1\r\nHost: relay.example\r\nConnection: close\r\n\r\n");
    assert.equal(statusOfRaw(health), 200, health);
    const other = await rawExchange(relay.port, "GET http://relay.example HTTP/1.1\r\nHost: relay.example\r\nConnection: close\r\n\r\n");
    assert.equal(statusOfRaw(other), 404, other);
  });

  test("CONNECT → 405 with Allow and a one-line JSON body, logged", async () => {
    const response = await rawExchange(relay.port, "CONNECT relay.example:443 HTTP/1.1\r\nHost: relay.example:443\r\n\r\n");
    assert.equal(statusOfRaw(response), 405, response);
    assert.match(response, /\r\nAllow: GET, HEAD, POST\r\n/);
    const body = response.slice(response.indexOf("\r\n\r\n") + 4);
    assert.equal(JSON.parse(body).error, "method_not_allowed");
    assert.ok(body.endsWith("\n") && body.indexOf("\n") === body.length - 1, "one line");
    assert.ok(relay.logs.some((entry) => entry.message === "request refused" && entry.status === 405 && entry.method === "CONNECT"));
  });

  // Deno's node:http closes a connection whose request ends early at the client's FIN: no answer, and
  // for headers cut short not even a parse error to log.
  const denoCloses = "Deno's node:http closes a connection cut short at the client's FIN without reporting a parse error";
  const halfClosed: ReadonlyArray<readonly [string, string, string | false]> = [
    ["a malformed request", "GARBAGE\r\n\r\n", false],
    ["a body cut short", `POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: 100\r\n\r\nCallSid=`, false],
    ["headers cut short", "POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\n", isDeno && denoCloses],
  ];
  for (const [name, request, skip] of halfClosed) {
    test(`${name} on a half-closed connection is answered and logged once`, { skip }, async () => {
      // A relay of its own: once it has stopped, it is done with every connection, so every report is in.
      const own = await startTestRelay(keys);
      const response = await sendAndHalfClose(own.port, request);
      assert.equal(statuses(response).length, isDeno && name === "a body cut short" ? 0 : 1, response);
      await own.stop();
      const refusals = own.logs.filter((entry) => entry.message === "request refused");
      assert.equal(refusals.length, 1, JSON.stringify(own.logs.slice(-3)));
    });
  }
});
