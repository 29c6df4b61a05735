// TeXML callbacks over HTTP, as Telnyx sends them: a real relay on a loopback port, bodies signed
// with a key made here. Every example of the registry (the spec's own examples for the ten webhooks
// of texml-calls.yml) comes out as a CloudEvent of its type; bad input per kind is refused naming the
// field and dead-lettered; the per-kind paths; the TeXML answer (default, from a file, passed back
// from a synchronous downstream); GET refused.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { EXAMPLES, encodeForm } from "../../scripts/seed-event.ts";
import { CONTENT_TYPES } from "../../src/events/media-type.ts";
import { DEFAULT_TEXML_REPLY } from "../../src/events/texml-reply.ts";
import { TEXML_KINDS } from "../../src/events/texml-paths.ts";
import * as GENERATED from "../../src/events/texml-generated.ts";
import { createHttpTransport } from "../../src/transports/http/http-transport.ts";
import { startDownstream } from "../support/downstream.ts";
import { post, postSigned } from "../support/http.ts";
import { signDelivery } from "../../src/crypto/sign.ts";
import { startTestRelay, type TestRelay } from "../support/in-process.ts";
import { makeKeys } from "../support/keys.ts";
import { loadFlags, expectConfig, expectOneError } from "../support/config.ts";

const keys = makeKeys();
const root = mkdtempSync(join(tmpdir(), "telnyx-relay-texml-"));
after(() => rmSync(root, { recursive: true, force: true }));
let files = 0;
const deadLetterFile = (): string => join(root, `dl${files++}.jsonl`);
type Fields = ReadonlyArray<readonly [string, string]>;

const with_ = (fields: Fields, name: string, value: string | undefined): Fields =>
  value === undefined ? fields.filter(([n]) => n !== name) : fields.map(([n, v]): [string, string] => [n, n === name ? value : v]);

describe("TeXML callbacks through the relay", () => {
  let relay: TestRelay;
  let deadLetters: string;
  before(async () => {
    deadLetters = deadLetterFile();
    relay = await startTestRelay(keys, { deadLetterFile: deadLetters });
  });
  after(() => relay.stop());

  test("every example (each of texml-calls.yml's own) comes out as a valid CloudEvent of its type, answered with the default TeXML", async () => {
    for (const example of EXAMPLES.filter((candidate) => candidate.contentType === CONTENT_TYPES.form)) {
      const url = example.texmlKind === undefined ? relay.url : `${relay.url}/texml/${example.texmlKind}`;
      const before = relay.lines.length;
      const answer = await postSigned(url, keys.privateKey, example.body);
      assert.equal(answer.status, 200, `${example.type}: ${answer.text}`);
      assert.equal(answer.headers.get("content-type"), "application/xml");
      assert.equal(answer.text, DEFAULT_TEXML_REPLY);
      assert.equal(answer.headers.get("telnyx-relay-status"), "accepted");
      const event = JSON.parse(relay.lines[before] as string);
      assert.equal(event.type, example.type);
      assert.equal(event.specversion, "1.0");
      assert.equal(event.id, answer.headers.get("telnyx-relay-event-id"));
      assert.match(event.source, /^urn:telnyx:account:/);
      assert.deepEqual(Object.entries(event.data), [...new URLSearchParams(example.body)], "every field kept, unknown ones too");
    }
    const spec = Object.values(GENERATED).filter((value) => typeof value === "object" && "example" in value);
    assert.equal(spec.length, 10, "the ten form webhooks of texml-calls.yml");
  });

  test("a redelivery is answered with the default TeXML and status duplicate, same id", async () => {
    const body = EXAMPLES.find((example) => example.type === "com.telnyx.texml.call.answered")?.body as string;
    const first = await postSigned(relay.url, keys.privateKey, body);
    const second = await postSigned(relay.url, keys.privateKey, body);
    assert.equal(second.status, 200);
    assert.equal(second.text, DEFAULT_TEXML_REPLY);
    assert.equal(second.headers.get("telnyx-relay-status"), "duplicate");
    assert.equal(second.headers.get("telnyx-relay-event-id"), first.headers.get("telnyx-relay-event-id"));
  });

  const spec = (type: string): Fields => [...new URLSearchParams(EXAMPLES.find((example) => example.type === type)?.body)];
  const bad: Array<[string, string, Fields, RegExp]> = [
    ["missing a required field", "call-status", with_(spec("com.telnyx.texml.call.ringing"), "ConnectionId", undefined), /ConnectionId is missing/],
    ["an empty required field", "amd", with_(spec("com.telnyx.texml.call.amd"), "MachineDetectionDuration", ""), /MachineDetectionDuration is empty/],
    ["a bad enum", "amd", with_(spec("com.telnyx.texml.call.amd"), "AnsweredBy", "robot"), /AnsweredBy "robot" is not one of human/],
    ["a bad enum (Dial action)", "call-status", with_(spec("com.telnyx.texml.call.completed"), "DialCallStatus", "done"), /DialCallStatus "done" is not one of/],
    ["a non-integer where the spec says integer", "call-status", with_(spec("com.telnyx.texml.call.initiated"), "SequenceNumber", "one"), /SequenceNumber "one" is not an integer/],
    ["a bad date-time", "call-status", with_(spec("com.telnyx.texml.call.dtmf"), "Timestamp", "yesterday"), /Timestamp "yesterday" is not a valid date-time/],
    ["a non-integer RecordingChannels", "recording", with_(spec("com.telnyx.texml.recording.completed"), "RecordingChannels", "1.5"), /RecordingChannels "1.5" is not an integer/],
    ["a bad SIPREC event", "siprec", with_(spec("com.telnyx.texml.siprec"), "SiprecEvent", "siprec-paused"), /SiprecEvent "siprec-paused" is not one of/],
    ["a conference without its ConferenceSid", "conference", with_(spec("com.telnyx.texml.conference.join"), "ConferenceSid", undefined), /ConferenceSid is missing/],
    ["a gather without its From", "gather", with_(spec("com.telnyx.texml.gather"), "From", undefined), /From is missing/],
    ["a REFER without ReferCallStatus, on its path", "refer-status", with_(spec("com.telnyx.texml.refer.status"), "ReferCallStatus", undefined), /ReferCallStatus is missing/],
  ];
  for (const [what, kind, fields, problem] of bad) {
    test(`${kind}: ${what} is 400 naming the field, and dead-lettered`, async () => {
      const body = encodeForm(fields);
      const answer = await postSigned(`${relay.url}/texml/${kind}`, keys.privateKey, body);
      assert.equal(answer.status, 400, answer.text);
      assert.equal(JSON.parse(answer.text).error, "invalid_event");
      assert.match(JSON.parse(answer.text).message, problem);
      const kept = readFileSync(deadLetters, "utf8").trim().split("\n").map((line) => JSON.parse(line));
      assert.ok(kept.some((record) => record.body === body), "the raw delivery is in the dead-letter file");
    });
  }

  test("on the general path, the same bad bodies are refused as the kind their fields name", async () => {
    const answer = await postSigned(relay.url, keys.privateKey, encodeForm(with_(spec("com.telnyx.texml.call.amd"), "AnsweredBy", "robot")));
    assert.equal(answer.status, 400);
    assert.match(JSON.parse(answer.text).message, /AnsweredBy/);
  });

  test("a signed form body of no known kind is a generic callback (200), not refused as a REFER", async () => {
    const before = relay.lines.length;
    const body = encodeForm([["AccountSid", "acc-1"], ["CallSid", "v3:generic"], ["CallStatus", "analyzed"], ["CallbackSource", "call-progress-events"], ["Custom", "x"]]);
    const answer = await postSigned(relay.url, keys.privateKey, body);
    assert.equal(answer.status, 200, answer.text);
    const event = JSON.parse(relay.lines[before] as string);
    assert.equal(event.type, "com.telnyx.texml.callback");
    assert.equal(event.data.Custom, "x");
  });

  test("a generic callback still needs its account (the CloudEvents source)", async () => {
    const answer = await postSigned(relay.url, keys.privateKey, encodeForm([["CallSid", "v3:x"]]));
    assert.equal(answer.status, 400);
    assert.match(JSON.parse(answer.text).message, /AccountSid is missing/);
  });

  test("per-kind paths: the body is validated as that kind, whatever its fields; a kind's unknown variant is generic", async () => {
    // A gather that timed out has no input field: generic on the general path, a gather on its own.
    const timedOut = encodeForm(with_(with_(with_(spec("com.telnyx.texml.gather"), "Digits", undefined), "SpeechResult", undefined), "Confidence", undefined));
    const lines = async (url: string, body: string) => {
      const before = relay.lines.length;
      const answer = await postSigned(url, keys.privateKey, body);
      assert.equal(answer.status, 200, answer.text);
      return JSON.parse(relay.lines[before] as string).type as string;
    };
    assert.equal(await lines(relay.url, `${timedOut}&n=0`), "com.telnyx.texml.callback");
    assert.equal(await lines(`${relay.url}/texml/gather`, `${timedOut}&n=1`), "com.telnyx.texml.gather");
    // HttpRequest: customer-named fields, even one named like another kind's marker.
    assert.equal(await lines(`${relay.url}/texml/http-request`, `${encodeForm(spec("com.telnyx.texml.http_request"))}&AnsweredBy=me`), "com.telnyx.texml.http_request");
    // A call status Telnyx added later (AI calls' `analyzed`) on the call-status path: generic, not refused.
    assert.equal(await lines(`${relay.url}/texml/call-status`, encodeForm(with_(spec("com.telnyx.texml.call.completed"), "CallStatus", "analyzed"))), "com.telnyx.texml.callback");
    // The kind picks among its own: a completed call on the call-status path.
    assert.equal(await lines(`${relay.url}/texml/call-status`, `${encodeForm(spec("com.telnyx.texml.call.completed"))}&n=2`), "com.telnyx.texml.call.completed");
    // A recording `absent` (no schema) on the recording path: generic; its required fields still checked.
    assert.equal(await lines(`${relay.url}/texml/recording`, encodeForm(with_(spec("com.telnyx.texml.recording.completed"), "RecordingStatus", "absent"))), "com.telnyx.texml.callback");
    const noCall = await postSigned(`${relay.url}/texml/recording`, keys.privateKey, encodeForm(with_(with_(spec("com.telnyx.texml.recording.completed"), "RecordingStatus", "absent"), "CallSid", undefined)));
    assert.equal(noCall.status, 400);
    assert.match(noCall.text, /CallSid is missing/);
  });

  test("every kind's path is served; other paths below it are 404", async () => {
    for (const kind of TEXML_KINDS) {
      const answer = await fetch(`${relay.url}/texml/${kind}`, { method: "PUT" });
      assert.equal(answer.status, 405, kind);
    }
    assert.equal((await postSigned(`${relay.url}/texml/nope`, keys.privateKey, "a=1")).status, 404);
    assert.equal((await postSigned(`${relay.url}/texml`, keys.privateKey, "a=1")).status, 404);
  });

  test("recognition follows FAMILY.md §2's order: a transcription carrying CallStatus and RecordingSid is a transcription", async () => {
    const before = relay.lines.length;
    const body = encodeForm([...spec("com.telnyx.texml.transcription"), ["CallbackSource", "call-progress-events"], ["RecordingStatus", "completed"]]);
    assert.equal((await postSigned(relay.url, keys.privateKey, body)).status, 200);
    assert.equal(JSON.parse(relay.lines[before] as string).type, "com.telnyx.texml.transcription");
  });

  test("GET on a webhook path is 405, telling the user to set the callback method to POST, and why", async () => {
    for (const url of [relay.url, `${relay.url}/texml/call-status`]) {
      const answer = await fetch(`${url}?CallSid=v3:x&AccountSid=a`);
      assert.equal(answer.status, 405);
      assert.equal(answer.headers.get("allow"), "POST");
      const { message } = (await answer.json()) as { message: string };
      assert.match(message, /set the callback's method to POST/);
      assert.match(message, /query string/);
    }
  });
});

describe("the TeXML answer", () => {
  test("--texml-reply FILE: read at start-up, checked, and every TeXML callback is answered with it", async () => {
    const file = join(root, "reply.xml");
    const reply = '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Hangup/></Response>\n';
    writeFileSync(file, reply);
    const config = expectConfig(loadFlags({ "public-key": [keys.portalKey], "texml-reply": [file] }, {}, (path) => readFileSync(path, "utf8")));
    assert.equal(config.texmlReply, reply);
    const relay = await startTestRelay(keys, { texmlReply: config.texmlReply });
    try {
      const answer = await postSigned(relay.url, keys.privateKey, EXAMPLES[0]?.body as string);
      assert.equal(answer.status, 200);
      assert.equal(answer.text, reply);
      assert.equal(answer.headers.get("content-type"), "application/xml");
    } finally {
      await relay.stop();
    }
    writeFileSync(file, '{"not":"xml"}');
    expectOneError(loadFlags({ "public-key": [keys.portalKey], "texml-reply": [file] }, {}, (path) => readFileSync(path, "utf8")), /--texml-reply .*does not start with <\?xml or <Response/);
    expectOneError(loadFlags({ "public-key": [keys.portalKey], "texml-reply": [join(root, "absent.xml")] }, {}, (path) => readFileSync(path, "utf8")), /--texml-reply .*cannot be read: ENOENT/);
  });

  test("synchronous forwarding: a downstream's 2xx XML answer is passed back to Telnyx unchanged; a non-XML or too large one is not", async () => {
    const downstream = await startDownstream();
    const steer = '<?xml version="1.0"?><Response><Say>Hello from the app</Say><Gather action="/next"/></Response>';
    downstream.answer((_request, n) =>
      n <= 1 ? { status: 200, headers: { "content-type": "application/xml; charset=utf-8" }, body: steer }
      : n === 2 ? { status: 200, headers: { "content-type": "application/json" }, body: '{"ok":true}' }
      : { status: 200, headers: { "content-type": "text/xml" }, body: `<Response>${"x".repeat(70_000)}</Response>` },
    );
    const relay = await startTestRelay(keys, {
      forward: { url: new URL(downstream.url), headers: [], secret: undefined, timeoutMs: 1500 },
    });
    try {
      const gather = EXAMPLES.find((example) => example.type === "com.telnyx.texml.gather")?.body as string;
      const steered = await postSigned(`${relay.url}/texml/gather`, keys.privateKey, gather);
      assert.equal(steered.status, 200);
      assert.equal(steered.text, steer);
      assert.equal(steered.headers.get("content-type"), "application/xml");
      assert.equal(steered.headers.get("telnyx-relay-status"), "accepted");
      assert.equal(downstream.received.length, 1);
      // The same body again (a second prompt answered the same way, or a redelivery) is forwarded
      // again, and Telnyx gets the app's answer, never a "duplicate" with the default (issue 16).
      const again = await postSigned(`${relay.url}/texml/gather`, keys.privateKey, gather);
      assert.equal(again.headers.get("telnyx-relay-status"), "accepted");
      assert.equal(again.text, steer);
      assert.equal(downstream.received.length, 2);
      const other = (n: number) => encodeForm([...new URLSearchParams(gather)].map(([k, v]): [string, string] => [k, k === "CallSid" ? `v3:other-${n}` : v]));
      assert.equal((await postSigned(relay.url, keys.privateKey, other(1))).text, DEFAULT_TEXML_REPLY, "a JSON answer is not TeXML");
      assert.equal((await postSigned(relay.url, keys.privateKey, other(2))).text, DEFAULT_TEXML_REPLY, "an answer over the bound is not passed back");
    } finally {
      await relay.stop();
      await downstream.close();
    }
  });

  test("the HTTP transport keeps a 2xx XML body (application/xml, text/xml, +xml), not another 2xx body", async () => {
    const downstream = await startDownstream();
    const types = ["application/xml", "text/xml; charset=utf-8", "application/vnd.example+xml", "text/plain", "application/xmlx"];
    downstream.answer((_request, n) => ({ status: 200, headers: { "content-type": types[n] as string }, body: "<Response/>" }));
    const transport = createHttpTransport({ url: new URL(downstream.url), headers: [], secret: undefined, timeoutMs: 2000 }, 1, Date.now);
    try {
      const outcomes = [];
      for (let n = 0; n < types.length; n++) outcomes.push(await transport.send({ id: `id${n}`, json: "{}" }));
      assert.deepEqual(outcomes, [
        { kind: "delivered", reply: "<Response/>" },
        { kind: "delivered", reply: "<Response/>" },
        { kind: "delivered", reply: "<Response/>" },
        { kind: "delivered" },
        { kind: "delivered" },
      ]);
    } finally {
      await transport.close();
      await downstream.close();
    }
  });
});

describe("synchronous forwarding: a repeated TeXML callback reaches the app (issue 16)", () => {
  const exampleBody = (type: string): string => EXAMPLES.find((example) => example.type === type)?.body as string;
  const GATHER = exampleBody("com.telnyx.texml.gather");
  /** The app: a different TeXML answer to each request, so each answer shows which request it was. */
  const startApp = async () => {
    const downstream = await startDownstream();
    downstream.answer((_request, n) => ({ status: 200, headers: { "content-type": "application/xml" }, body: `<Response><Say>step ${n}</Say></Response>` }));
    const relay = await startTestRelay(keys, { deadLetterFile: deadLetterFile(), forward: { url: new URL(downstream.url), headers: [], secret: undefined, timeoutMs: 1500 } });
    return { downstream, relay, stop: async () => (await relay.stop(), await downstream.close()) };
  };
  const now = Math.floor(Date.now() / 1000);

  test("two Gathers with one body (two prompts answered with the same digit) both reach the app, and each gets its answer", async () => {
    const { downstream, relay, stop } = await startApp();
    try {
      const first = await postSigned(`${relay.url}/texml/gather`, keys.privateKey, GATHER, now - 3);
      const second = await postSigned(`${relay.url}/texml/gather`, keys.privateKey, GATHER, now);
      assert.deepEqual([first.text, second.text], ["<Response><Say>step 0</Say></Response>", "<Response><Say>step 1</Say></Response>"]);
      assert.deepEqual([first, second].map((answer) => answer.headers.get("telnyx-relay-status")), ["accepted", "accepted"]);
      const keysSeen = downstream.received.map((request) => request.headers["idempotency-key"]);
      assert.equal(new Set(keysSeen).size, 2, "two callbacks, two ids");
    } finally {
      await stop();
    }
  });

  test("the same body on /texml/gather and /texml/http-request, at the same second, is two callbacks, each answered by the app", async () => {
    const { downstream, relay, stop } = await startApp();
    try {
      const body = exampleBody("com.telnyx.texml.http_request");
      const gather = await postSigned(`${relay.url}/texml/gather`, keys.privateKey, body, now);
      const http = await postSigned(`${relay.url}/texml/http-request`, keys.privateKey, body, now);
      assert.deepEqual([gather.text, http.text], ["<Response><Say>step 0</Say></Response>", "<Response><Say>step 1</Say></Response>"]);
      assert.deepEqual(downstream.received.map((request) => JSON.parse(request.body).type), ["com.telnyx.texml.gather", "com.telnyx.texml.http_request"]);
    } finally {
      await stop();
    }
  });

  test("a copy of one delivery (same signature) and a redelivery of a REFER status are forwarded again, with the same id; Telnyx gets the app's answer", async () => {
    const { downstream, relay, stop } = await startApp();
    try {
      const copyA = await postSigned(`${relay.url}/texml/gather`, keys.privateKey, GATHER, now);
      const copyB = await postSigned(`${relay.url}/texml/gather`, keys.privateKey, GATHER, now);
      const refer = exampleBody("com.telnyx.texml.refer.status");
      const referA = await postSigned(`${relay.url}/texml/refer-status`, keys.privateKey, refer, now - 60);
      const referB = await postSigned(`${relay.url}/texml/refer-status`, keys.privateKey, refer, now);
      assert.deepEqual(
        [copyA, copyB, referA, referB].map((answer) => [answer.text, answer.headers.get("telnyx-relay-status")]),
        [0, 1, 2, 3].map((n) => [`<Response><Say>step ${n}</Say></Response>`, "accepted"]),
      );
      const ids = downstream.received.map((request) => request.headers["idempotency-key"]);
      assert.equal(ids[0], ids[1], "a copy of one delivery: one id, for the app to recognise");
      assert.equal(ids[2], ids[3], "a redelivery of a REFER status (its Timestamp identifies it): one id");
      assert.equal(copyB.headers.get("telnyx-relay-event-id"), copyA.headers.get("telnyx-relay-event-id"));
    } finally {
      await stop();
    }
  });

  test("when the app fails on the repeat, Telnyx gets 503 (and delivers again), not an empty <Response/>", async () => {
    const { downstream, relay, stop } = await startApp();
    downstream.answer((_request, n) => (n === 0 ? { status: 200, headers: { "content-type": "application/xml" }, body: "<Response><Say>once</Say></Response>" } : { status: 500 }));
    try {
      assert.equal((await postSigned(`${relay.url}/texml/gather`, keys.privateKey, GATHER, now - 3)).text, "<Response><Say>once</Say></Response>");
      const repeat = await postSigned(`${relay.url}/texml/gather`, keys.privateKey, GATHER, now);
      assert.equal(repeat.status, 503, repeat.text);
    } finally {
      await stop();
    }
  });

  test("a JSON webhook's redelivery is still answered duplicate and not forwarded again (its answer is not read as TeXML)", async () => {
    const { downstream, relay, stop } = await startApp();
    try {
      const hangup = EXAMPLES.find((example) => example.type === "com.telnyx.call.hangup");
      assert.ok(hangup);
      const send = (timestamp: number) => post(relay.url, hangup.body, { "content-type": hangup.contentType, ...signDelivery(keys.privateKey, hangup.body, timestamp) });
      assert.equal(JSON.parse((await send(now - 60)).text).status, "accepted");
      assert.equal(JSON.parse((await send(now)).text).status, "duplicate");
      assert.equal(downstream.received.length, 1);
    } finally {
      await stop();
    }
  });
});
