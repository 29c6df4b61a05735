// The hand-on stage in one process: dedup, then the sink.
import assert from "node:assert/strict";
import { test } from "node:test";
import type { EncodedEvent } from "../../src/pipeline/cloud-event.ts";
import { createDedup } from "../../src/pipeline/dedup.ts";
import { DELIVERED } from "../../src/pipeline/delivered.ts";
import { dedupThenDeliver } from "../../src/pipeline/hand-on.ts";
import { reject } from "../../src/pipeline/rejection.ts";

const event: EncodedEvent = { id: "0".repeat(32), json: "{}" };

test("dedupThenDeliver(): the sink gets an id once; a refused event reaches it again", async () => {
  const seen: string[] = [];
  let refuse = true;
  const handOn = dedupThenDeliver(createDedup({ windowMs: 60_000, maxEntries: 10, now: () => 0 }), {
    deliver: async (e) => {
      seen.push(e.id);
      return refuse ? reject("sink_unavailable", "down") : DELIVERED;
    },
  });
  assert.equal(((await handOn(event)) as { reason?: string }).reason, "sink_unavailable");
  refuse = false;
  assert.equal(await handOn(event), DELIVERED);
  assert.equal(await handOn(event), "duplicate");
  assert.deepEqual(seen, [event.id, event.id]);
});
