import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { after, describe, test } from "node:test";

import type { ForwardConfig } from "../../../src/config/load.ts";
import { createHttpTransport } from "../../../src/transports/http/http-transport.ts";
import type { SendOutcome, Transport } from "../../../src/transports/transport.ts";
import { isDeno } from "../../support/runtime.ts";
import type { EncodedEvent } from "../../../src/pipeline/cloud-event.ts";

/** One request the downstream received. */
interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;

interface Downstream {
  readonly url: URL;
  readonly port: number;
  readonly requests: Received[];
  /** TCP connections the server accepted. */
  connections(): number;
  /** What the next requests get (default: 204). */
  handle(handler: Handler): void;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1, port 0, that records every request. */
async function startDownstream(): Promise<Downstream> {
  const requests: Received[] = [];
  let connections = 0;
  let handler: Handler = (_request, response) => response.writeHead(204).end();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      requests.push({ method: request.method ?? "", url: request.url ?? "", headers: request.headers, body });
      handler(request, response, body);
    });
  });
  server.on("connection", () => void connections++);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/hooks/in?team=a`),
    port,
    requests,
    connections: () => connections,
    handle: (next) => void (handler = next),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const NOW = 1_795_420_800_123;
const now = (): number => NOW;

function forwardConfig(url: URL, overrides: Partial<ForwardConfig> = {}): ForwardConfig {
  return { url, headers: [], secret: undefined, timeoutMs: 2000, ...overrides };
}

let serial = 0;
function makeEvent(extra = ""): EncodedEvent {
  const id = (++serial).toString(16).padStart(32, "0");
  return {
    id,
    json: `{"specversion":"1.0","id":"${id}","source":"urn:telnyx:account:a","type":"com.telnyx.texml.refer.status","time":"2024-01-15T10:30:00Z","subject":"v3:call","datacontenttype":"application/json","data":{"Note":"caf\u00e9 ✓${extra}"}}`,
  };
}

/** An independent Standard Webhooks check: HMAC-SHA256 over `id.timestamp.body`, base64, as `v1,…`. */
function verifyStandardWebhook(secret: Uint8Array, headers: IncomingHttpHeaders, body: string): boolean {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signature = headers["webhook-signature"];
  if (typeof id !== "string" || typeof timestamp !== "string" || typeof signature !== "string") return false;
  const expected = Buffer.from(`v1,${createHmac("sha256", secret).update(`${id}.${timestamp}.${body}`, "utf8").digest("base64")}`);
  return signature.split(" ").some((candidate) => {
    const given = Buffer.from(candidate);
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

const downstream = await startDownstream();
const transports: Transport[] = [];

/** A transport to the shared downstream, closed after the suite. */
function transport(overrides: Partial<ForwardConfig> = {}, clock = now): Transport {
  const made = createHttpTransport(forwardConfig(downstream.url, overrides), 4, clock);
  transports.push(made);
  return made;
}

/** The retry outcome's fields, or a failed assertion. */
function asRetry(outcome: SendOutcome): Extract<SendOutcome, { kind: "retry" }> {
  assert.equal(outcome.kind, "retry", JSON.stringify(outcome));
  return outcome as Extract<SendOutcome, { kind: "retry" }>;
}

after(async () => {
  for (const made of transports) await made.close();
  await downstream.close();
});

/** Sends one event to a downstream answering `status` (with `headers` and `body`) and returns the result. */
async function answerWith(status: number, headers: Record<string, string> = {}, body = ""): Promise<SendOutcome> {
  downstream.handle((_request, response) => response.writeHead(status, headers).end(body));
  return transport().send(makeEvent());
}

describe("createHttpTransport() request", () => {
  test("POSTs the exact body to the URL with the CloudEvents content type, idempotency-key and ce-id", async () => {
    downstream.handle((_request, response) => response.writeHead(200).end());
    const event = makeEvent();
    const before = downstream.requests.length;
    assert.deepEqual(await transport().send(event), { kind: "delivered" });
    const received = downstream.requests[before];
    assert.ok(received);
    assert.equal(received.method, "POST");
    assert.equal(received.url, "/hooks/in?team=a");
    assert.equal(received.headers.host, `127.0.0.1:${downstream.port}`);
    assert.equal(received.headers.connection, "keep-alive");
    assert.equal(received.headers["content-type"], "application/cloudevents+json; charset=utf-8");
    assert.equal(received.headers["content-length"], String(Buffer.byteLength(event.json)));
    assert.equal(received.headers["idempotency-key"], event.id);
    assert.equal(received.headers["ce-id"], event.id);
    assert.equal(received.body, event.json);
  });

  test("each event carries its own id and body (no header or body reused from another event)", async () => {
    downstream.handle((_request, response) => response.writeHead(200).end());
    const { send } = transport();
    const first = makeEvent("1");
    const second = makeEvent("2");
    const before = downstream.requests.length;
    await send(first);
    await send(second);
    const [a, b] = downstream.requests.slice(before);
    assert.ok(a && b);
    assert.equal(a.headers["idempotency-key"], first.id);
    assert.equal(b.headers["idempotency-key"], second.id);
    assert.notEqual(a.headers["idempotency-key"], b.headers["idempotency-key"]);
    assert.equal(b.body, second.json);
    assert.notEqual(a.body, b.body);
  });

  test("sends the user's extra headers", async () => {
    downstream.handle((_request, response) => response.writeHead(204).end());
    const before = downstream.requests.length;
    await transport({
      headers: [
        ["Authorization", "Bearer abc.def"],
        ["X-Team", "ops"],
      ],
    }).send(makeEvent());
    const received = downstream.requests[before];
    assert.equal(received?.headers["authorization"], "Bearer abc.def");
    assert.equal(received?.headers["x-team"], "ops");
    // The twin: a transport without them sends neither.
    const next = downstream.requests.length;
    await transport().send(makeEvent());
    assert.equal(downstream.requests[next]?.headers["authorization"], undefined);
    assert.equal(downstream.requests[next]?.headers["x-team"], undefined);
  });

  test("with a secret, the webhook-* headers verify under an independent HMAC-SHA256 of id.timestamp.body", async () => {
    downstream.handle((_request, response) => response.writeHead(204).end());
    const secret = randomBytes(32);
    const event = makeEvent();
    const before = downstream.requests.length;
    await transport({ secret }).send(event);
    const received = downstream.requests[before];
    assert.ok(received);
    assert.equal(received.headers["webhook-id"], event.id);
    assert.equal(received.headers["webhook-timestamp"], String(Math.floor(NOW / 1000)));
    assert.match(received.headers["webhook-signature"] as string, /^v1,[A-Za-z0-9+/]{43}=$/);
    assert.equal(verifyStandardWebhook(secret, received.headers, received.body), true);
    // Tampered twins: another body, id, timestamp or secret does not verify.
    assert.equal(verifyStandardWebhook(secret, received.headers, received.body.replace("caf", "cav")), false);
    assert.equal(verifyStandardWebhook(secret, { ...received.headers, "webhook-id": "0".repeat(32) }, received.body), false);
    assert.equal(verifyStandardWebhook(secret, { ...received.headers, "webhook-timestamp": String(Math.floor(NOW / 1000) + 1) }, received.body), false);
    assert.equal(verifyStandardWebhook(randomBytes(32), received.headers, received.body), false);
  });

  test("the signature's timestamp comes from the injected clock at each attempt", async () => {
    downstream.handle((_request, response) => response.writeHead(204).end());
    let time = NOW;
    const secret = randomBytes(24);
    const { send } = transport({ secret }, () => time);
    const event = makeEvent();
    const before = downstream.requests.length;
    await send(event);
    time += 61_000;
    await send(event);
    const [first, retried] = downstream.requests.slice(before);
    assert.ok(first && retried);
    assert.equal(Number(retried.headers["webhook-timestamp"]) - Number(first.headers["webhook-timestamp"]), 61);
    assert.notEqual(first.headers["webhook-signature"], retried.headers["webhook-signature"]);
    assert.equal(verifyStandardWebhook(secret, retried.headers, retried.body), true);
  });

  test("without a secret no webhook-* headers are sent", async () => {
    downstream.handle((_request, response) => response.writeHead(204).end());
    const before = downstream.requests.length;
    await transport().send(makeEvent());
    const received = downstream.requests[before];
    assert.ok(received);
    assert.deepEqual(
      Object.keys(received.headers).filter((name) => name.startsWith("webhook-")),
      [],
    );
  });

  test("sequential sends reuse one kept-alive connection", { skip: isDeno && "Deno 2.9's node:http client opens a new connection for the second post instead of reusing the Agent's kept-alive one" }, async () => {
    downstream.handle((_request, response) => response.writeHead(200, { "content-type": "text/plain" }).end("ok"));
    const made = transport();
    const before = downstream.connections();
    for (let i = 0; i < 4; i++) assert.equal((await made.send(makeEvent())).kind, "delivered");
    assert.equal(downstream.connections() - before, 1);
    // The twin: after close() drops the idle connection, the next send opens a new one.
    await made.close();
    assert.equal((await made.send(makeEvent())).kind, "delivered");
    assert.equal(downstream.connections() - before, 2);
  });

  test(
    "send() never throws, even for a header value node:http refuses to send",
    async () => {
      const result = await transport({ headers: [["X-Price", "5€"]] })
        .send(makeEvent())
        .catch((error: unknown) => `threw ${String(error)}`);
      assert.equal(typeof result, "object", String(result));
    },
  );
});

describe("createHttpTransport() classification", () => {
  for (const status of [200, 201, 204]) {
    test(`${status} is delivered`, async () => {
      assert.deepEqual(await answerWith(status), { kind: "delivered" });
    });
  }

  for (const status of [408, 429, 500, 503]) {
    test(`${status} is retried, with its status in the reason, the downstream reached, and no wait asked for`, async () => {
      const result = asRetry(await answerWith(status, {}, "try later"));
      assert.equal(result.reached, true);
      assert.equal(result.afterMs, undefined);
      assert.equal(result.reason, `the downstream answered ${status}`);
    });
  }

  test("429 with Retry-After: 7 is retried after 7000 ms", async () => {
    const result = asRetry(await answerWith(429, { "retry-after": "7" }));
    assert.equal(result.afterMs, 7000);
  });

  test("503 with Retry-After as an HTTP date is retried after the time until that date", async () => {
    const result = asRetry(await answerWith(503, { "retry-after": new Date(NOW + 30_000).toUTCString() }));
    // toUTCString() drops the milliseconds of NOW.
    assert.equal(result.afterMs, 30_000 - (NOW % 1000));
    assert.ok((result.afterMs ?? 0) > 0);
  });

  for (const status of [400, 404, 422]) {
    test(`${status} is rejected for good, with the body as the excerpt`, async () => {
      const result = await answerWith(status, { "content-type": "application/json" }, '{"error":"nope"}');
      assert.deepEqual(result, { kind: "refuse", detail: `the downstream answered ${status}`, answer: { status, bodyExcerpt: '{"error":"nope"}' } });
    });
  }

  test("a long rejection body is cut to its first 1024 bytes", async () => {
    const body = Array.from({ length: 5000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
    const result = await answerWith(422, {}, body);
    assert.equal(result.kind, "refuse");
    assert.deepEqual(result.answer, { status: 422, bodyExcerpt: body.slice(0, 1024) });
  });

  test("a long body sent in several chunks is cut to 1024 bytes, and the connection is kept for the next send", async () => {
    downstream.handle((_request, response) => {
      response.writeHead(400);
      for (let i = 0; i < 10; i++) response.write("x".repeat(300));
      response.end();
    });
    const made = transport();
    const before = downstream.connections();
    const result = await made.send(makeEvent());
    assert.equal(result.kind, "refuse");
    assert.deepEqual(result.answer, { status: 400, bodyExcerpt: "x".repeat(1024) });
    downstream.handle((_request, response) => response.writeHead(204).end());
    assert.equal((await made.send(makeEvent())).kind, "delivered");
    assert.equal(downstream.connections() - before, 1);
  });

  test("301 is rejected (redirects are not followed)", async () => {
    const before = downstream.requests.length;
    const result = await answerWith(301, { location: "http://127.0.0.1:1/elsewhere" }, "moved");
    assert.deepEqual(result, { kind: "refuse", detail: "the downstream answered 301", answer: { status: 301, bodyExcerpt: "moved" } });
    assert.equal(downstream.requests.length - before, 1);
  });

  test("a downstream that never answers is retried with a reason naming the timeout", async () => {
    downstream.handle(() => {
      // Never answers; the server's closeAllConnections() ends it.
    });
    const result = asRetry(await transport({ timeoutMs: 200 }).send(makeEvent()));
    assert.equal(result.reached, false);
    assert.match(result.reason, /200 ms/);
  });

  // Issue 10 §4: a 2xx whose body was cut off was counted as delivered, so the event was never sent again.
  for (const [how, cut] of [
    ["reset", (socket: Socket) => socket.resetAndDestroy()],
    ["closed", (socket: Socket) => socket.destroy()],
  ] as const) {
    test(`a 200 with Content-Length: 100 whose connection is ${how} after 5 body bytes is retried like a reset, not delivered`, async () => {
      downstream.handle((_request, response) => {
        response.writeHead(200, { "content-length": "100" });
        response.write("hello", () => setImmediate(() => response.socket && cut(response.socket)));
      });
      const result = asRetry(await transport({ timeoutMs: 1500 }).send(makeEvent()));
      assert.equal(result.reached, false);
      // A reset may also reach the client before it read the status line: a retry either way.
      assert.match(result.reason, /200 response was cut off|ECONNRESET/);
    });
  }

  test("the twin: a 200 whose body comes in parts but in full is delivered (the attempt waits for the whole response)", async () => {
    downstream.handle((_request, response) => {
      response.writeHead(200, { "content-length": "10" });
      response.write("hello", () => setTimeout(() => response.end("world"), 20));
    });
    assert.deepEqual(await transport({ timeoutMs: 1500 }).send(makeEvent()), { kind: "delivered" });
  });

  test("the twin: a 5xx response cut off mid-body is retried as cut off", async () => {
    downstream.handle((_request, response) => {
      response.writeHead(500, { "content-length": "100" });
      response.write("only part");
      setImmediate(() => response.socket?.destroy());
    });
    const result = asRetry(await transport({ timeoutMs: 1500 }).send(makeEvent()));
    assert.equal(result.reached, false);
    assert.match(result.reason, /cut off/);
  });

  test("connection refused is retried with the reason ECONNREFUSED", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const made = createHttpTransport(forwardConfig(new URL(`http://127.0.0.1:${port}/`)), 1, now);
    transports.push(made);
    const result = await made.send(makeEvent());
    assert.deepEqual(result, { kind: "retry", reason: "ECONNREFUSED", reached: false });
  });
});
