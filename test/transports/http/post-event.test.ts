import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";

import type { ForwardConfig } from "../../../src/config/load.ts";
import { createPoster, parseRetryAfter, type PostResult } from "../../../src/transports/http/post-event.ts";
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
  return { url, headers: [], secret: undefined, timeoutMs: 2000, spool: undefined, ...overrides };
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
const posters: Array<{ close(): void }> = [];

/** A poster for the shared downstream, closed after the suite. */
function poster(overrides: Partial<ForwardConfig> = {}, clock = now): { post: (event: EncodedEvent) => Promise<PostResult>; close(): void } {
  const made = createPoster(forwardConfig(downstream.url, overrides), 4, clock);
  posters.push(made);
  return made;
}

after(async () => {
  for (const made of posters) made.close();
  await downstream.close();
});

/** Sends one event to a downstream answering `status` (with `headers` and `body`) and returns the result. */
async function answerWith(status: number, headers: Record<string, string> = {}, body = ""): Promise<PostResult> {
  downstream.handle((_request, response) => response.writeHead(status, headers).end(body));
  return poster().post(makeEvent());
}

describe("createPoster() request", () => {
  test("POSTs the exact body to the URL with the CloudEvents content type, idempotency-key and ce-id", async () => {
    downstream.handle((_request, response) => response.writeHead(200).end());
    const event = makeEvent();
    const before = downstream.requests.length;
    assert.deepEqual(await poster().post(event), { kind: "delivered", status: 200 });
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
    const { post } = poster();
    const first = makeEvent("1");
    const second = makeEvent("2");
    const before = downstream.requests.length;
    await post(first);
    await post(second);
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
    await poster({
      headers: [
        ["Authorization", "Bearer abc.def"],
        ["X-Team", "ops"],
      ],
    }).post(makeEvent());
    const received = downstream.requests[before];
    assert.equal(received?.headers["authorization"], "Bearer abc.def");
    assert.equal(received?.headers["x-team"], "ops");
    // The twin: a poster without them sends neither.
    const next = downstream.requests.length;
    await poster().post(makeEvent());
    assert.equal(downstream.requests[next]?.headers["authorization"], undefined);
    assert.equal(downstream.requests[next]?.headers["x-team"], undefined);
  });

  test("with a secret, the webhook-* headers verify under an independent HMAC-SHA256 of id.timestamp.body", async () => {
    downstream.handle((_request, response) => response.writeHead(204).end());
    const secret = randomBytes(32);
    const event = makeEvent();
    const before = downstream.requests.length;
    await poster({ secret }).post(event);
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
    const { post } = poster({ secret }, () => time);
    const event = makeEvent();
    const before = downstream.requests.length;
    await post(event);
    time += 61_000;
    await post(event);
    const [first, retried] = downstream.requests.slice(before);
    assert.ok(first && retried);
    assert.equal(Number(retried.headers["webhook-timestamp"]) - Number(first.headers["webhook-timestamp"]), 61);
    assert.notEqual(first.headers["webhook-signature"], retried.headers["webhook-signature"]);
    assert.equal(verifyStandardWebhook(secret, retried.headers, retried.body), true);
  });

  test("without a secret no webhook-* headers are sent", async () => {
    downstream.handle((_request, response) => response.writeHead(204).end());
    const before = downstream.requests.length;
    await poster().post(makeEvent());
    const received = downstream.requests[before];
    assert.ok(received);
    assert.deepEqual(
      Object.keys(received.headers).filter((name) => name.startsWith("webhook-")),
      [],
    );
  });

  test("sequential posts reuse one kept-alive connection", { skip: isDeno && "Deno 2.9's node:http client opens a new connection for the second post instead of reusing the Agent's kept-alive one" }, async () => {
    downstream.handle((_request, response) => response.writeHead(200, { "content-type": "text/plain" }).end("ok"));
    const { post, close } = poster();
    const before = downstream.connections();
    for (let i = 0; i < 4; i++) assert.equal((await post(makeEvent())).kind, "delivered");
    assert.equal(downstream.connections() - before, 1);
    // The twin: after close() drops the idle connection, the next post opens a new one.
    close();
    assert.equal((await post(makeEvent())).kind, "delivered");
    assert.equal(downstream.connections() - before, 2);
  });

  test(
    "post() never throws, even for a header value node:http refuses to send",
    async () => {
      const result = await poster({ headers: [["X-Price", "5€"]] })
        .post(makeEvent())
        .catch((error: unknown) => `threw ${String(error)}`);
      assert.equal(typeof result, "object", String(result));
    },
  );
});

describe("createPoster() classification", () => {
  for (const status of [200, 201, 204]) {
    test(`${status} is delivered`, async () => {
      assert.deepEqual(await answerWith(status), { kind: "delivered", status });
    });
  }

  for (const status of [408, 429, 500, 503]) {
    test(`${status} is retried, with its status and no Retry-After`, async () => {
      const result = await answerWith(status, {}, "try later");
      assert.equal(result.kind, "retry");
      assert.equal(result.status, status);
      assert.equal(result.retryAfterMs, undefined);
      assert.match(result.reason, new RegExp(String(status)));
    });
  }

  test("429 with Retry-After: 7 is retried after 7000 ms", async () => {
    const result = await answerWith(429, { "retry-after": "7" });
    assert.equal(result.kind, "retry");
    assert.equal(result.retryAfterMs, 7000);
  });

  test("503 with Retry-After as an HTTP date is retried after the time until that date", async () => {
    const result = await answerWith(503, { "retry-after": new Date(NOW + 30_000).toUTCString() });
    assert.equal(result.kind, "retry");
    // toUTCString() drops the milliseconds of NOW.
    assert.equal(result.retryAfterMs, 30_000 - (NOW % 1000));
    assert.ok((result.retryAfterMs ?? 0) > 0);
  });

  for (const status of [400, 404, 422]) {
    test(`${status} is rejected for good, with the body as the excerpt`, async () => {
      const result = await answerWith(status, { "content-type": "application/json" }, '{"error":"nope"}');
      assert.deepEqual(result, { kind: "reject", status, bodyExcerpt: '{"error":"nope"}' });
    });
  }

  test("a long rejection body is cut to its first 1024 bytes", async () => {
    const body = Array.from({ length: 5000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
    const result = await answerWith(422, {}, body);
    assert.equal(result.kind, "reject");
    assert.equal(result.bodyExcerpt, body.slice(0, 1024));
  });

  test("a long body sent in several chunks is cut to 1024 bytes, and the connection is kept for the next post", async () => {
    downstream.handle((_request, response) => {
      response.writeHead(400);
      for (let i = 0; i < 10; i++) response.write("x".repeat(300));
      response.end();
    });
    const { post } = poster();
    const before = downstream.connections();
    const result = await post(makeEvent());
    assert.equal(result.kind, "reject");
    assert.equal(result.bodyExcerpt, "x".repeat(1024));
    downstream.handle((_request, response) => response.writeHead(204).end());
    assert.equal((await post(makeEvent())).kind, "delivered");
    assert.equal(downstream.connections() - before, 1);
  });

  test("301 is rejected (redirects are not followed)", async () => {
    const before = downstream.requests.length;
    const result = await answerWith(301, { location: "http://127.0.0.1:1/elsewhere" }, "moved");
    assert.deepEqual(result, { kind: "reject", status: 301, bodyExcerpt: "moved" });
    assert.equal(downstream.requests.length - before, 1);
  });

  test("a downstream that never answers is retried with a reason naming the timeout", async () => {
    downstream.handle(() => {
      // Never answers; the server's closeAllConnections() ends it.
    });
    const result = await poster({ timeoutMs: 200 }).post(makeEvent());
    assert.equal(result.kind, "retry");
    assert.equal(result.status, undefined);
    assert.match(result.reason, /200 ms/);
  });

  test("a 2xx status line is the acknowledgement: a body cut off after it does not make it a retry (and a duplicate)", async () => {
    downstream.handle((_request, response) => {
      response.writeHead(200, { "content-length": "100" });
      response.write("only part");
      setImmediate(() => response.socket?.destroy());
    });
    const result = await poster({ timeoutMs: 1500 }).post(makeEvent());
    assert.deepEqual(result, { kind: "delivered", status: 200 });
  });

  test("the twin: a 5xx response cut off mid-body is retried as cut off", async () => {
    downstream.handle((_request, response) => {
      response.writeHead(500, { "content-length": "100" });
      response.write("only part");
      setImmediate(() => response.socket?.destroy());
    });
    const result = await poster({ timeoutMs: 1500 }).post(makeEvent());
    assert.equal(result.kind, "retry");
    assert.equal(result.status, undefined);
    assert.match(result.reason, /cut off/);
  });

  test("connection refused is retried with the reason ECONNREFUSED", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const made = createPoster(forwardConfig(new URL(`http://127.0.0.1:${port}/`)), 1, now);
    posters.push(made);
    const result = await made.post(makeEvent());
    assert.deepEqual(result, { kind: "retry", status: undefined, retryAfterMs: undefined, reason: "ECONNREFUSED" });
  });
});

describe("parseRetryAfter()", () => {
  test("reads delay seconds", () => {
    assert.equal(parseRetryAfter("0", now), 0);
    assert.equal(parseRetryAfter("120", now), 120_000);
    assert.equal(parseRetryAfter(" 7 ", now), 7000);
  });

  test("reads an HTTP date as the milliseconds until it", () => {
    const whole = NOW - (NOW % 1000);
    assert.equal(parseRetryAfter(new Date(whole + 5000).toUTCString(), () => whole), 5000);
    assert.equal(parseRetryAfter(new Date(whole + 5000).toUTCString(), () => whole + 1000), 4000);
  });

  test("an HTTP date in the past is 0 ms", () => {
    assert.equal(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now), 0);
  });

  test("absent or unreadable is undefined", () => {
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter("", now), undefined);
    assert.equal(parseRetryAfter("soon", now), undefined);
    assert.equal(parseRetryAfter("12345678901", now), undefined);
  });

  test(
    "a negative or fractional number, or text that is not an HTTP date, is unreadable (undefined), not 0",
    () => {
      assert.equal(parseRetryAfter("-5", now), undefined);
      assert.equal(parseRetryAfter("1.5", now), undefined);
      assert.equal(parseRetryAfter("Tuesday 5", now), undefined);
    },
  );
});
