import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { describe, test } from "node:test";
import { createNatsParser, parseNatsHeaders, type NatsOp } from "../../../src/transports/nats/parser.ts";

// Every operation the server sends, payloads with CRLF and protocol words inside them.
const INPUT = Buffer.from(
  [
    'INFO {"server_id":"N1","max_payload":1048576,"headers":true,"connect_urls":["127.0.0.1:4223"]}\r\n',
    "+OK\r\n",
    "PING\r\n",
    "MSG _INBOX.a.1 1 5\r\nhello\r\n",
    "MSG reply.here 2 _INBOX.b 13\r\nPONG\r\nMSG x\r\n\r\n",
    "HMSG _INBOX.a.2 1 16 16\r\nNATS/1.0 503\r\n\r\n\r\n",
    "HMSG _INBOX.a.3 1 37 40\r\nNATS/1.0\r\nNats-Msg-Id: ev-1\r\nA: b\r\n\r\n{\"}\r\n",
    "PONG\r\n",
    "-ERR 'Authorization Violation'\r\n",
    "MSG empty 9 0\r\n\r\n",
  ].join(""),
);

/** What the parser makes of the input, chunked at `cuts`, as plain data. */
function parse(cuts: readonly number[]): unknown[] {
  const parser = createNatsParser();
  const ops: NatsOp[] = [];
  let from = 0;
  for (const cut of [...cuts, INPUT.length]) {
    ops.push(...parser.push(INPUT.subarray(from, cut)));
    from = cut;
  }
  return ops.map((op) =>
    op.op === "msg" ? { ...op.message, headers: op.message.headers?.toString("latin1"), payload: op.message.payload.toString("latin1") } : op,
  );
}

const WHOLE = parse([]);

describe("createNatsParser()", () => {
  test("reads every operation of one coalesced read, payloads holding CRLF and protocol words", () => {
    assert.deepEqual(
      WHOLE.map((op) => (op as { op?: string }).op ?? "msg"),
      ["info", "ok", "ping", "msg", "msg", "msg", "msg", "pong", "err", "msg"],
    );
    assert.deepEqual(WHOLE[3], { subject: "_INBOX.a.1", sid: "1", replyTo: undefined, headers: undefined, payload: "hello" });
    assert.deepEqual(WHOLE[4], { subject: "reply.here", sid: "2", replyTo: "_INBOX.b", headers: undefined, payload: "PONG\r\nMSG x\r\n" });
    assert.deepEqual(WHOLE[5], { subject: "_INBOX.a.2", sid: "1", replyTo: undefined, headers: "NATS/1.0 503\r\n\r\n", payload: "" });
    assert.deepEqual(WHOLE[6], { subject: "_INBOX.a.3", sid: "1", replyTo: undefined, headers: "NATS/1.0\r\nNats-Msg-Id: ev-1\r\nA: b\r\n\r\n", payload: '{"}' });
    assert.deepEqual(WHOLE[8], { op: "err", text: "Authorization Violation" });
    assert.deepEqual(WHOLE[9], { subject: "empty", sid: "9", replyTo: undefined, headers: undefined, payload: "" });
    assert.equal((WHOLE[0] as { info: { max_payload: number } }).info.max_payload, 1048576);
  });

  test("the same operations whatever the reads: one byte at a time", () => {
    assert.deepEqual(parse(Array.from({ length: INPUT.length - 1 }, (_, i) => i + 1)), WHOLE);
  });

  test("the same operations whatever the reads: every split into two reads, and into three with the second cut every 7 bytes", () => {
    for (let a = 0; a <= INPUT.length; a++) {
      assert.deepEqual(parse([a]), WHOLE, `split at ${a}`);
      for (let b = a; b <= INPUT.length; b += 7) assert.deepEqual(parse([a, b]), WHOLE, `split at ${a} and ${b}`);
    }
  });

  test("a frame is kept until it is whole: nothing comes out of a partial message", () => {
    const parser = createNatsParser();
    assert.deepEqual(parser.push(Buffer.from("MSG a 1 5\r\nhel")), []);
    assert.deepEqual(parser.push(Buffer.from("lo\r")), []);
    assert.equal(parser.push(Buffer.from("\nPI")).length, 1);
    assert.deepEqual(parser.push(Buffer.from("NG\r\n")), [{ op: "ping" }]);
  });

  for (const [what, bad] of [
    ["an unknown operation", "HELLO\r\n"],
    ["INFO that is not JSON", "INFO {nope\r\n"],
    ["a size that is not a number", "MSG a 1 five\r\nhello\r\n"],
    ["a payload longer than its size", "MSG a 1 3\r\nhello\r\n"],
    ["HMSG headers longer than the message", "HMSG a 1 9 4\r\nNATS/1.0\r\n\r\n"],
    ["MSG with too few arguments", "MSG a\r\n"],
  ] as const) {
    test(`${what} is a SyntaxError (the connection is dropped)`, () => {
      assert.throws(() => createNatsParser().push(Buffer.from(bad)), SyntaxError);
    });
  }

  test("a control line without end longer than 1 MiB is a SyntaxError, not a growing buffer", () => {
    assert.throws(() => createNatsParser().push(Buffer.alloc((1 << 20) + 2, 0x41)), SyntaxError);
  });
});

describe("parseNatsHeaders()", () => {
  test("reads the status line and the headers (names case-insensitive, the first of a repeated name)", () => {
    const headers = parseNatsHeaders(Buffer.from("NATS/1.0 503 No Responders\r\nNats-Msg-Id: x\r\nnats-msg-id: y\r\n\r\n"));
    assert.equal(headers.status, 503);
    assert.equal(headers.description, "No Responders");
    assert.equal(headers.values.get("nats-msg-id"), "x");
    assert.equal(parseNatsHeaders(Buffer.from("NATS/1.0\r\n\r\n")).status, undefined);
  });

  test("a block that is not NATS/1.0 is a SyntaxError", () => {
    assert.throws(() => parseNatsHeaders(Buffer.from("HTTP/1.1 200\r\n\r\n")), SyntaxError);
  });
});
