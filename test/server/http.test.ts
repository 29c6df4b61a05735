// The relay over a real socket: node:http on an ephemeral loopback port, real Ed25519 signatures
// made with keys generated here, stdout captured through a stream.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Buffer } from "node:buffer";
import { connect } from "node:net";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { signDelivery } from "../../src/crypto/sign.ts";
import { encodeForm, SEED_BODY, SEED_FIELDS } from "../../scripts/seed-event.ts";
import { FORM, post, postSigned, rawExchange, statusOfRaw, outcomeOf } from "../support/http.ts";
import { startTestRelay, type TestRelay } from "../support/in-process.ts";
import { makeKeys, nowSeconds } from "../support/keys.ts";

const keys = makeKeys();
const otherKeys = makeKeys();

/** Asserts an error answer: the status, a one-line JSON body with the reason, no key material. */
function assertRefused(answer: { status: number; text: string }, status: number, reason: string): void {
  assert.equal(answer.status, status, answer.text);
  assert.ok(answer.text.endsWith("\n") && answer.text.indexOf("\n") === answer.text.length - 1, "one line");
  const body = JSON.parse(answer.text) as { error: string; message: string };
  assert.equal(body.error, reason);
  assert.equal(typeof body.message, "string");
  assert.ok(!answer.text.includes(keys.portalKey), "the answer must not contain the public key");
}

describe("the relay over HTTP", () => {
  let relay: TestRelay;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "telnyx-relay-http-"));
    relay = await startTestRelay(keys, { deadLetterFile: join(dir, "dead.jsonl"), bodyLimit: 4096 });
  });
  after(async () => {
    await relay.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the seed REFER event, signed like Telnyx, is answered 200 and written as one CloudEvent line", async () => {
    const before = relay.lines.length;
    const answer = await postSigned(relay.url, keys.privateKey, SEED_BODY);
    assert.equal(answer.status, 200, answer.text);
    const { id } = outcomeOf(answer);
    assert.equal(relay.lines.length, before + 1);
    const event = JSON.parse(relay.lines.at(-1) as string) as Record<string, unknown>;
    assert.deepEqual(event, {
      specversion: "1.0",
      id,
      source: "urn:telnyx:account:f5586561-8ff0-4291-a51b-c7dfe4139ff9",
      type: "com.telnyx.texml.refer.status",
      time: "2024-01-15T10:30:00Z",
      subject: "v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ",
      datacontenttype: "application/json",
      data: Object.fromEntries(SEED_FIELDS),
    });
    assert.match(id, /^[0-9a-f]{32}$/);
  });

  test("a redelivery (new timestamp and signature, same body) gets the same event id", async () => {
    const first = await postSigned(relay.url, keys.privateKey, SEED_BODY, nowSeconds() - 20);
    const second = await postSigned(relay.url, keys.privateKey, SEED_BODY, nowSeconds());
    assert.equal(first.status, 200);
    assert.equal(second.status, 200);
    assert.equal(outcomeOf(first).id, outcomeOf(second).id);
    const other = await postSigned(relay.url, keys.privateKey, SEED_BODY.replace("in-progress", "busy"));
    assert.notEqual(outcomeOf(other).id, outcomeOf(first).id);
  });

  test("a Content-Type with parameters and in upper case is accepted", async () => {
    const headers = { "content-type": "Application/X-WWW-Form-Urlencoded; charset=UTF-8", ...signDelivery(keys.privateKey, SEED_BODY, nowSeconds()) };
    assert.equal((await post(relay.url, SEED_BODY, headers)).status, 200);
  });

  test("a query string on the webhook path is ignored", async () => {
    const answer = await postSigned(`${relay.url}?source=telnyx`, keys.privateKey, SEED_BODY);
    assert.equal(answer.status, 200);
  });

  test("two requests on one keep-alive connection are both answered", async () => {
    const body = SEED_BODY;
    const one = (ts: number) => {
      const h = signDelivery(keys.privateKey, body, ts);
      return (
        `POST /webhooks/telnyx HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${FORM}\r\nContent-Length: ${body.length}\r\n` +
        `telnyx-timestamp: ${h["telnyx-timestamp"]}\r\ntelnyx-signature-ed25519: ${h["telnyx-signature-ed25519"]}\r\n`
      );
    };
    const ts = nowSeconds();
    const response = await rawExchange(relay.port, `${one(ts)}\r\n${body}${one(ts)}Connection: close\r\n\r\n${body}`);
    assert.equal(response.match(/HTTP\/1\.1 200/g)?.length, 2, response);
  });

  test("GET and HEAD /healthz answer 200", async () => {
    const health = await fetch(`http://127.0.0.1:${relay.port}/healthz`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: "ok" });
    assert.equal((await fetch(`http://127.0.0.1:${relay.port}/healthz`, { method: "HEAD" })).status, 200);
  });

  describe("requests turned away before the body is read", () => {
    test("another path → 404", async () => {
      assertRefused(await postSigned(`http://127.0.0.1:${relay.port}/other`, keys.privateKey, SEED_BODY), 404, "not_found");
    });
    test("GET on the webhook path → 405 with Allow: POST", async () => {
      const response = await fetch(relay.url);
      assertRefused({ status: response.status, text: await response.text() }, 405, "method_not_allowed");
      assert.equal(response.headers.get("allow"), "POST");
    });
    test("POST /healthz → 405 with Allow: GET, HEAD", async () => {
      const answer = await post(`http://127.0.0.1:${relay.port}/healthz`, "", {});
      assertRefused(answer, 405, "method_not_allowed");
      assert.equal(answer.headers.get("allow"), "GET, HEAD");
    });
    for (const contentType of ["application/xml", "text/plain", "multipart/form-data; boundary=x", "application/x-www-form-urlencodedx"]) {
      test(`Content-Type ${contentType} → 415`, async () => {
        const headers = { "content-type": contentType, ...signDelivery(keys.privateKey, SEED_BODY, nowSeconds()) };
        const answer = await post(relay.url, SEED_BODY, headers);
        assertRefused(answer, 415, "unsupported_media_type");
        assert.equal(answer.headers.get("accept-post"), "application/x-www-form-urlencoded, application/json");
      });
    }
    test("no Content-Type → 415", async () => {
      const h = signDelivery(keys.privateKey, SEED_BODY, nowSeconds());
      const response = await rawExchange(
        relay.port,
        `POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${SEED_BODY.length}\r\n` +
          `telnyx-timestamp: ${h["telnyx-timestamp"]}\r\ntelnyx-signature-ed25519: ${h["telnyx-signature-ed25519"]}\r\n\r\n${SEED_BODY}`,
      );
      assert.equal(statusOfRaw(response), 415);
    });
    test("a declared Content-Length over the limit → 413 without the body being sent", async () => {
      // Only the headers are sent: the answer must come without waiting for the 10 MB.
      const response = await rawExchange(
        relay.port,
        `POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: 10000000\r\n\r\n`,
      );
      assert.equal(statusOfRaw(response), 413);
      assert.match(response, /"error":"too_large"/);
    });
    test("a chunked body that grows past the limit → 413", async () => {
      const chunk = "a".repeat(1000);
      const chunks = Array.from({ length: 10 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join("");
      const response = await rawExchange(
        relay.port,
        `POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`,
      );
      assert.equal(statusOfRaw(response), 413);
    });
  });

  describe("signature checks → 401, and nothing reaches stdout", () => {
    const cases: Array<[string, () => Record<string, string>, string, string?]> = [
      ["no telnyx-timestamp", () => ({ "telnyx-signature-ed25519": signDelivery(keys.privateKey, SEED_BODY, nowSeconds())["telnyx-signature-ed25519"] }), "missing_header"],
      ["no telnyx-signature-ed25519", () => ({ "telnyx-timestamp": String(nowSeconds()) }), "missing_header"],
      ["a signature made with another key", () => ({ ...signDelivery(otherKeys.privateKey, SEED_BODY, nowSeconds()) }), "bad_signature"],
      ["a tampered body", () => ({ ...signDelivery(keys.privateKey, SEED_BODY, nowSeconds()) }), "bad_signature", SEED_BODY.replace("in-progress", "failed")],
      ["a timestamp changed after signing", () => ({ ...signDelivery(keys.privateKey, SEED_BODY, nowSeconds()), "telnyx-timestamp": String(nowSeconds() + 1) }), "bad_signature"],
      ["a timestamp 10 minutes old", () => ({ ...signDelivery(keys.privateKey, SEED_BODY, nowSeconds() - 600) }), "stale_timestamp"],
      ["a timestamp 10 minutes ahead", () => ({ ...signDelivery(keys.privateKey, SEED_BODY, nowSeconds() + 600) }), "stale_timestamp"],
      ["a non-numeric timestamp", () => ({ ...signDelivery(keys.privateKey, SEED_BODY, nowSeconds()), "telnyx-timestamp": "NaN" }), "malformed_timestamp"],
      ["a signature that is not base64 of 64 bytes", () => ({ ...signDelivery(keys.privateKey, SEED_BODY, nowSeconds()), "telnyx-signature-ed25519": "c2lnbmF0dXJl" }), "malformed_signature"],
    ];
    for (const [name, makeHeaders, reason, body] of cases) {
      test(`${name} → 401 ${reason}`, async () => {
        const before = relay.lines.length;
        const answer = await post(relay.url, body ?? SEED_BODY, { "content-type": FORM, ...makeHeaders() });
        assertRefused(answer, 401, reason);
        assert.equal(relay.lines.length, before, "nothing may reach stdout");
        const logged = relay.logs.findLast((entry) => entry.message === "request refused");
        assert.equal(logged?.reason, reason);
        assert.equal(logged?.status, 401);
      });
    }
    test("a repeated telnyx-signature-ed25519 header → 401 repeated_header", async () => {
      const h = signDelivery(keys.privateKey, SEED_BODY, nowSeconds());
      const response = await rawExchange(
        relay.port,
        `POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: ${FORM}\r\nContent-Length: ${SEED_BODY.length}\r\n` +
          `telnyx-timestamp: ${h["telnyx-timestamp"]}\r\nTelnyx-Signature-Ed25519: ${h["telnyx-signature-ed25519"]}\r\n` +
          `telnyx-signature-ed25519: ${h["telnyx-signature-ed25519"]}\r\n\r\n${SEED_BODY}`,
      );
      assert.equal(statusOfRaw(response), 401);
      assert.match(response, /"error":"repeated_header"/);
    });
    test("header names are matched without regard to case", async () => {
      const h = signDelivery(keys.privateKey, SEED_BODY, nowSeconds());
      const response = await rawExchange(
        relay.port,
        `POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: ${FORM}\r\nContent-Length: ${SEED_BODY.length}\r\n` +
          `Telnyx-Timestamp: ${h["telnyx-timestamp"]}\r\nTELNYX-SIGNATURE-ED25519: ${h["telnyx-signature-ed25519"]}\r\n\r\n${SEED_BODY}`,
      );
      assert.equal(statusOfRaw(response), 200, response);
    });
  });

  describe("requests Node's own parser refuses get the relay's JSON answer and a log line", () => {
    test("a malformed request line → 400 with a one-line JSON body", async () => {
      const response = await rawExchange(relay.port, "GARBAGE\r\n\r\n");
      assert.equal(statusOfRaw(response), 400);
      const body = response.slice(response.indexOf("\r\n\r\n") + 4);
      assert.equal(JSON.parse(body).error, "bad_request");
      assert.ok(relay.logs.some((entry) => entry.message === "request refused" && entry.status === 400 && entry.reason === "bad_request"));
    });
    test("headers over 16 KiB → 431 with a JSON body", async () => {
      const response = await rawExchange(relay.port, `POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
      assert.equal(statusOfRaw(response), 431);
      assert.match(response, /"error":"bad_request"/);
    });
  });

  describe("Expect: 100-continue", () => {
    test("a body over the limit is refused with 413 and never invited (no 100 Continue)", async () => {
      const response = await rawExchange(
        relay.port,
        `POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: 3000000\r\nExpect: 100-continue\r\n\r\n`,
      );
      assert.equal(statusOfRaw(response), 413);
      assert.doesNotMatch(response, /100 Continue/);
    });
    test("a signed event is invited with 100 Continue, then answered 200", async () => {
      const h = signDelivery(keys.privateKey, SEED_BODY, nowSeconds());
      const socket = connect({ port: relay.port, host: "127.0.0.1" });
      let response = "";
      socket.on("data", (chunk) => {
        response += chunk.toString();
        if (response.includes("100 Continue") && !response.includes("200 OK")) socket.write(SEED_BODY);
      });
      socket.write(
        `POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: ${FORM}\r\nContent-Length: ${SEED_BODY.length}\r\nExpect: 100-continue\r\n` +
          `telnyx-timestamp: ${h["telnyx-timestamp"]}\r\ntelnyx-signature-ed25519: ${h["telnyx-signature-ed25519"]}\r\n\r\n`,
      );
      await new Promise((resolve) => socket.on("close", resolve));
      assert.match(response, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 OK/);
    });
  });

  test("a signed, invalid body that is not UTF-8 is dead-lettered as base64 that still verifies", async () => {
    const body = Buffer.concat([Buffer.from("CallSid=v3%3Ax&Junk="), Buffer.from([0xff, 0xfe])]);
    const timestamp = nowSeconds();
    const headers = signDelivery(keys.privateKey, body, timestamp);
    const answer = await post(relay.url, body, { "content-type": FORM, ...headers });
    assert.equal(answer.status, 400);
    const record = JSON.parse(readFileSync(join(dir, "dead.jsonl"), "utf8").trim().split("\n").at(-1) as string);
    assert.equal(record.body, undefined);
    assert.deepEqual(Buffer.from(record.bodyBase64, "base64"), body);
    assert.deepEqual(signDelivery(keys.privateKey, Buffer.from(record.bodyBase64, "base64"), timestamp), record.headers);
  });

  test("a redelivery within the dedup window is answered 200 duplicate and not written again", async () => {
    const body = encodeForm([...SEED_FIELDS, ["Attempt", "dedup-test"]]);
    const before = relay.lines.length;
    const first = await postSigned(relay.url, keys.privateKey, body);
    const second = await postSigned(relay.url, keys.privateKey, body);
    assert.equal(outcomeOf(first).status, "accepted");
    assert.deepEqual(outcomeOf(second), { status: "duplicate", id: outcomeOf(first).id });
    assert.equal(relay.lines.length, before + 1);
  });

  test("GET /readyz is 200 while stdout takes lines; GET /metrics counts answers and failures", async () => {
    assert.equal((await fetch(`http://127.0.0.1:${relay.port}/readyz`)).status, 200);
    const metrics = await fetch(`http://127.0.0.1:${relay.port}/metrics`);
    assert.match(metrics.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await metrics.text();
    assert.match(text, /^telnyx_relay_requests_total\{status="200"\} [1-9][0-9]*$/m);
    assert.match(text, /^telnyx_relay_verification_failures_total\{reason="bad_signature"\} [1-9][0-9]*$/m);
    assert.match(text, /^telnyx_relay_events_duplicate_total\{type="com\.telnyx\.texml\.refer\.status"\} [1-9][0-9]*$/m);
  });

  test("a signed but invalid event → 400 with the reason, kept in the dead-letter file, not on stdout", async () => {
    const before = relay.lines.length;
    const body = encodeForm(SEED_FIELDS.map(([name, value]): [string, string] => [name, name === "ReferCallStatus" ? "ringing" : value]));
    const headers = signDelivery(keys.privateKey, body, nowSeconds());
    const answer = await post(relay.url, body, { "content-type": FORM, ...headers });
    assertRefused(answer, 400, "invalid_event");
    assert.match(JSON.parse(answer.text).message, /ReferCallStatus "ringing"/);
    assert.equal(relay.lines.length, before);
    const records = readFileSync(join(dir, "dead.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line));
    const record = records.at(-1);
    assert.equal(record.reason, "invalid_event");
    assert.match(record.detail, /ReferCallStatus/);
    assert.equal(record.body, body);
    assert.deepEqual(record.headers, headers);
    assert.ok(!Number.isNaN(Date.parse(record.receivedAt)));
    // Counted where the metric says: records written to the dead-letter file, by reason.
    const metrics = await (await fetch(`http://127.0.0.1:${relay.port}/metrics`)).text();
    assert.match(metrics, /^telnyx_relay_events_dead_lettered_total\{reason="invalid_event"\} [1-9][0-9]*$/m);
    assert.match(metrics, /^telnyx_relay_events_dead_lettered_total\{reason="downstream_rejected"\} 0$/m);
  });
});

test("an invalid event whose dead letter cannot be written → 503, so Telnyx delivers it again", async () => {
  const relay = await startTestRelay(keys, { deadLetterFile: "/nonexistent-dir/telnyx-relay/dead.jsonl" });
  try {
    const body = encodeForm([["CallSid", "v3:x"]]);
    const answer = await postSigned(relay.url, keys.privateKey, body);
    assert.equal(answer.status, 503);
    assert.equal(JSON.parse(answer.text).error, "dead_letter_unavailable");
    assert.equal(answer.headers.get("retry-after"), "1");
  } finally {
    await relay.stop();
  }
});

test("several keys: a delivery signed with any of them is accepted (rotation)", async () => {
  const relay = await startTestRelay(keys, { keys: [otherKeys.publicKey, keys.publicKey] });
  try {
    assert.equal((await postSigned(relay.url, keys.privateKey, SEED_BODY)).status, 200);
    assert.equal((await postSigned(relay.url, otherKeys.privateKey, SEED_BODY)).status, 200);
    assert.equal((await postSigned(relay.url, makeKeys().privateKey, SEED_BODY)).status, 401);
  } finally {
    await relay.stop();
  }
});

test("a stdout that never takes the line → 503 after the sink timeout, not a hang", async () => {
  const stuck = new Writable({ write() {} }); // never calls back: a reader that stopped reading
  const relay = await startTestRelay(keys, { sinkTimeoutMs: 200, shutdownTimeoutMs: 300 }, stuck);
  try {
    const answer = await postSigned(relay.url, keys.privateKey, SEED_BODY);
    assert.equal(answer.status, 503);
    assert.equal(JSON.parse(answer.text).error, "sink_unavailable");
  } finally {
    await relay.stop();
  }
});

test("a client that stalls mid-request is cut off by the request timeout", async () => {
  const relay = await startTestRelay(keys, { requestTimeoutMs: 500 });
  try {
    // Headers promise 100 bytes; 10 arrive; then nothing. The server must not wait forever.
    const response = await rawExchange(
      relay.port,
      `POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: 100\r\n\r\n0123456789`,
      20_000,
    );
    assert.ok(response === "" || statusOfRaw(response) === 408, response);
  } finally {
    await relay.stop();
  }
});
