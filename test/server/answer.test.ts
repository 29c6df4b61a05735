// Answer shaping, apart from node:http: what Telnyx gets for each outcome of the relay.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DEFAULT_TEXML_REPLY, TEXML_CONTENT_TYPE } from "../../src/events/texml-reply.ts";
import { reject } from "../../src/pipeline/rejection.ts";
import { refusalAnswer, relayAnswer } from "../../src/server/answer.ts";

const REPLY = '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Say>hi</Say></Response>\n';

describe("relayAnswer(): a TeXML (form) callback", () => {
  test("accepted: 200 with the default TeXML document, the id and the status in headers", () => {
    assert.deepEqual(relayAnswer({ ok: true, id: "ab12", duplicate: false }, "form", DEFAULT_TEXML_REPLY), {
      status: 200,
      contentType: TEXML_CONTENT_TYPE,
      body: DEFAULT_TEXML_REPLY,
      headers: { "Telnyx-Relay-Event-Id": "ab12", "Telnyx-Relay-Status": "accepted" },
    });
  });

  test("the downstream's TeXML answer is passed back unchanged", () => {
    const answer = relayAnswer({ ok: true, id: "ab12", duplicate: false, reply: REPLY }, "form", DEFAULT_TEXML_REPLY);
    assert.equal(answer.body, REPLY);
    assert.equal(answer.contentType, TEXML_CONTENT_TYPE);
  });

  test("a duplicate or a filtered callback gets the configured default and says so", () => {
    const duplicate = relayAnswer({ ok: true, id: "ab12", duplicate: true }, "form", REPLY);
    assert.equal(duplicate.body, REPLY);
    assert.equal(duplicate.headers?.["Telnyx-Relay-Status"], "duplicate");
    const filtered = relayAnswer({ ok: true, id: "ab12", duplicate: false, filtered: true }, "form", REPLY);
    assert.equal(filtered.headers?.["Telnyx-Relay-Status"], "filtered");
  });
});

describe("relayAnswer(): a JSON webhook", () => {
  test("accepted, duplicate, filtered: 200 with one JSON line, the id escaped, no extra headers", () => {
    const id = 'a "quoted" \\ id';
    for (const [outcome, status] of [
      [{ ok: true, id, duplicate: false }, "accepted"],
      [{ ok: true, id, duplicate: true }, "duplicate"],
      [{ ok: true, id, duplicate: false, filtered: true }, "filtered"],
    ] as const) {
      const answer = relayAnswer(outcome, "json", DEFAULT_TEXML_REPLY);
      assert.equal(answer.status, 200);
      assert.equal(answer.contentType, "application/json");
      assert.deepEqual(JSON.parse(answer.body), { status, id });
      assert.ok(answer.body.endsWith("}\n"));
      assert.equal(answer.headers, undefined);
    }
  });
});

describe("relayAnswer(): a refusal, for either media type", () => {
  test("its status and one JSON error line; no TeXML, even for a TeXML callback", () => {
    for (const media of ["form", "json"] as const) {
      const answer = relayAnswer(reject("bad_signature", "no key matches"), media, REPLY);
      assert.equal(answer.status, 401);
      assert.equal(answer.contentType, "application/json");
      assert.equal(answer.body, '{"error":"bad_signature","message":"no key matches"}\n');
      assert.equal(answer.headers, undefined);
    }
  });

  test("a 503 says Retry-After: 1, so Telnyx delivers again", () => {
    const answer = relayAnswer(reject("sink_unavailable", "the downstream is down"), "form", REPLY);
    assert.equal(answer.status, 503);
    assert.deepEqual(answer.headers, { "Retry-After": "1" });
  });
});

describe("refusalAnswer()", () => {
  test("keeps the headers it is given", () => {
    assert.deepEqual(refusalAnswer(reject("method_not_allowed", "use POST"), { Allow: "POST" }), {
      status: 405,
      contentType: "application/json",
      body: '{"error":"method_not_allowed","message":"use POST"}\n',
      headers: { Allow: "POST" },
    });
  });
});
