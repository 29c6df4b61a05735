import assert from "node:assert/strict";
import { test } from "node:test";
import { eventFilter, parseEventPattern } from "../../src/events/event-filter.ts";

test("eventFilter() keeps the types a pattern matches whole, * standing for any characters", () => {
  const keep = eventFilter(["com.telnyx.call.*", "com.telnyx.texml.refer.status"]);
  assert.ok(keep);
  assert.equal(keep("com.telnyx.call.hangup"), true);
  assert.equal(keep("com.telnyx.call.refer.failed"), true);
  assert.equal(keep("com.telnyx.texml.refer.status"), true);
  assert.equal(keep("com.telnyx.message.sent"), false);
  assert.equal(keep("com.telnyx.callx"), false, "the dot is literal");
  assert.equal(keep("xcom.telnyx.call.hangup"), false, "anchored");
});

test("eventFilter() of no patterns keeps everything (undefined: no filter)", () => {
  assert.equal(eventFilter([]), undefined);
});

test("parseEventPattern() takes type characters and *, and refuses anything else", () => {
  assert.deepEqual(parseEventPattern(" com.telnyx.* "), { ok: true, value: "com.telnyx.*" });
  assert.equal(parseEventPattern("com telnyx").ok, false);
  assert.equal(parseEventPattern("").ok, false);
  assert.equal(parseEventPattern("com.telnyx.(call|fax)").ok, false);
});
