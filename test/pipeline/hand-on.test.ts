// The dedup → sink stage: a repeated id is a duplicate, except a TeXML callback when the sink passes
// the downstream's answer back to Telnyx (synchronous forwarding over HTTP): then every delivery of
// it goes to the sink (issue 16: a "duplicate" there is an empty <Response/>, and the call ends).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import type { EncodedEvent } from "../../src/pipeline/cloud-event.ts";
import { createDedup } from "../../src/pipeline/dedup.ts";
import { DELIVERED } from "../../src/pipeline/delivered.ts";
import { createHandOn, type HandOnSink } from "../../src/pipeline/hand-on.ts";
import { reject } from "../../src/pipeline/rejection.ts";

const TEXML: EncodedEvent = { id: "a".repeat(32), json: "{}", texml: true };
const JSON_EVENT: EncodedEvent = { id: "b".repeat(32), json: "{}" };

function setUp(answers: boolean | undefined) {
  const delivered: EncodedEvent[] = [];
  const sink: HandOnSink = { deliver: async (event) => (delivered.push(event), { ok: true, reply: `<Response>${delivered.length}</Response>` }), ...(answers === undefined ? {} : { answers }) };
  const handOn = createHandOn(createDedup({ windowMs: 60_000, maxEntries: 10, now: Date.now }), sink);
  return { handOn, delivered };
}

describe("createHandOn()", () => {
  test("a sink that answers for the downstream gets every delivery of a TeXML callback, each with its own answer", async () => {
    const { handOn, delivered } = setUp(true);
    const outcomes = [await handOn(TEXML), await handOn(TEXML), ...(await Promise.all([handOn(TEXML), handOn(TEXML)]))];
    assert.deepEqual(outcomes, [1, 2, 3, 4].map((n) => ({ ok: true, reply: `<Response>${n}</Response>` })));
    assert.equal(delivered.length, 4);
  });

  test("a sink that answers for the downstream still gets a JSON webhook once (Telnyx does not act on its answer)", async () => {
    const { handOn, delivered } = setUp(true);
    assert.equal((await handOn(JSON_EVENT)) === "duplicate", false);
    assert.equal(await handOn(JSON_EVENT), "duplicate");
    assert.equal(delivered.length, 1);
  });

  for (const answers of [false, undefined]) {
    test(`a sink that does not answer for the downstream (answers: ${answers}) gets a TeXML callback once per id`, async () => {
      const { handOn, delivered } = setUp(answers);
      await handOn(TEXML);
      assert.equal(await handOn(TEXML), "duplicate");
      assert.equal(delivered.length, 1);
    });
  }
});

test("createHandOn(): the sink gets an id once; a refused event reaches it again", async () => {
  const seen: string[] = [];
  let refuse = true;
  const handOn = createHandOn(createDedup({ windowMs: 60_000, maxEntries: 10, now: () => 0 }), {
    deliver: async (e) => {
      seen.push(e.id);
      return refuse ? reject("sink_unavailable", "down") : DELIVERED;
    },
  });
  assert.equal(((await handOn(JSON_EVENT)) as { reason?: string }).reason, "sink_unavailable");
  refuse = false;
  assert.equal(await handOn(JSON_EVENT), DELIVERED);
  assert.equal(await handOn(JSON_EVENT), "duplicate");
  assert.deepEqual(seen, [JSON_EVENT.id, JSON_EVENT.id]);
});
