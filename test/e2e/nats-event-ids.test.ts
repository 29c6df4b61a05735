// Which deliveries are one message in JetStream (issue 16): the event id is the Nats-Msg-Id, and the
// stream keeps one message per id within its duplicate window, even with the relay's own window
// off (--dedup-window 0). A real single-node nats-server, the relay as a child process.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { EXAMPLES, SEED_BODY } from "../../scripts/seed-event.ts";
import { startChildRelay } from "../support/child-relay.ts";
import { outcomeOf, postSigned } from "../support/http.ts";
import { makeKeys, nowSeconds } from "../support/keys.ts";
import { createStream, natsClient, readStream } from "../support/nats-jetstream.ts";
import { natsSkip, startNats } from "../support/nats-server.ts";

const skip = natsSkip();
const keys = makeKeys();
const root = mkdtempSync(join(tmpdir(), "telnyx-relay-nats-ids-"));
after(() => rmSync(root, { recursive: true, force: true }));

const exampleBody = (type: string): string => EXAMPLES.find((example) => example.type === type)?.body as string;

describe("NATS JetStream: distinct callbacks are distinct messages", { skip }, () => {
  test("two Gathers with one body, the same body on two kinds, the %FF family are messages of their own; a REFER redelivery is one message", async () => {
    const server = await startNats({ dir: join(root, "nats"), nodes: 1 });
    const client = await natsClient(server.urls);
    const relay = await createStream(client, { name: "EVENTS", subjects: ["telnyx.>"], replicas: 1 })
      .then(() =>
        startChildRelay({
          env: { TELNYX_PUBLIC_KEY: keys.portalKey },
          args: ["--dead-letter-file", join(root, "dl.jsonl"), "--nats-url", server.urls[0] as string, "--dedup-window", "0"],
        }),
      )
      .catch(async (error: unknown) => {
        await client.close();
        await server.stop();
        throw error;
      });
    try {
      const now = nowSeconds();
      const gather = exampleBody("com.telnyx.texml.gather");
      const http = exampleBody("com.telnyx.texml.http_request");
      // One after the other, so the stream's order is the order of the posts.
      const posts: Array<() => ReturnType<typeof postSigned>> = [
        // Two prompts answered with the same digit: two callbacks.
        () => postSigned(`${relay.url}/texml/gather`, keys.privateKey, gather, now - 3),
        () => postSigned(`${relay.url}/texml/gather`, keys.privateKey, gather, now),
        // One body, the same second, two kinds: two callbacks.
        () => postSigned(`${relay.url}/texml/http-request`, keys.privateKey, http, now),
        () => postSigned(`${relay.url}/texml/gather`, keys.privateKey, http, now),
        // A REFER status and Telnyx's redelivery of it (re-signed later, the same body): one callback.
        () => postSigned(relay.url, keys.privateKey, SEED_BODY, now - 60),
        () => postSigned(relay.url, keys.privateKey, SEED_BODY, now),
        // Four signed bodies that all decode to Note=U+FFFD: four callbacks.
        ...["%FF", "%FE", "%C3", "%EF%BF%BD"].map((escape) => () => postSigned(relay.url, keys.privateKey, `${SEED_BODY}&Note=${escape}`, now)),
      ];
      const answers = [];
      for (const send of posts) answers.push(await send());
      assert.deepEqual(answers.map((answer) => [answer.status, outcomeOf(answer).status]), Array(answers.length).fill([200, "accepted"]));
      const ids = answers.map((answer) => outcomeOf(answer).id);
      assert.equal(ids[4], ids[5], "the REFER redelivery has the first delivery's id");
      assert.equal(new Set(ids).size, answers.length - 1);

      const stored = await readStream(client, "EVENTS");
      assert.deepEqual(stored.map((message) => message.id).sort(), [...new Set(ids)].sort(), "one message per distinct callback, keyed by its event id");
      assert.deepEqual(
        stored.map((message) => JSON.parse(message.data).type),
        ["gather", "gather", "http_request", "gather", "refer.status", "refer.status", "refer.status", "refer.status", "refer.status"].map((kind) => `com.telnyx.texml.${kind}`),
      );
    } finally {
      relay.child.kill("SIGTERM");
      await relay.exited;
      await client.close();
      await server.stop();
    }
  });
});
