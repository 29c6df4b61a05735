// A start does not leave an empty dead-letter file behind: it is created with the first dead letter.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encodeForm } from "../../src/events/examples.ts";
import { postSigned } from "../support/http.ts";
import { startChildRelay } from "../support/child-relay.ts";
import { makeKeys } from "../support/keys.ts";

const dir = mkdtempSync(join(tmpdir(), "telnyx-relay-lazy-"));
after(() => rmSync(dir, { recursive: true, force: true }));

test("the default dead-letter file is not created at start, only with the first dead letter", async () => {
  const keys = makeKeys();
  // The default path is relative to the working directory.
  const relay = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, cwd: dir });
  const path = join(dir, "telnyx-relay-dead-letter.jsonl");
  try {
    assert.equal(existsSync(path), false);
    const answer = await postSigned(relay.url, keys.privateKey, encodeForm([["CallSid", "v3:incomplete"]]));
    assert.equal(answer.status, 400);
    assert.match(readFileSync(path, "utf8"), /incomplete/);
  } finally {
    relay.child.kill("SIGTERM");
    await relay.exited;
  }
});
