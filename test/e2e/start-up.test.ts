// What a start leaves behind and says: no empty dead-letter file (it comes with the first dead letter), and log lines in the format asked for.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { encodeForm } from "../../src/events/examples.ts";
import { postSigned } from "../support/http.ts";
import { startChildRelay } from "../support/child-relay.ts";
import { makeKeys } from "../support/keys.ts";
import { until } from "../support/wait.ts";

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

test("--log-format text: the relay's log lines are time level message key=value", async () => {
  const keys = makeKeys();
  const { spawn } = await import("node:child_process");
  const { relayCommand } = await import("../support/child-relay.ts");
  const { command, args, path } = relayCommand();
  const child = spawn(command, [...args, "--host", "127.0.0.1", "--port", "0", "--log-format", "text", "--dead-letter-file", join(dir, "dl-text.jsonl")], {
    env: { PATH: path, TELNYX_PUBLIC_KEY: keys.portalKey },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  await until(() => stderr.includes("\n"), "the first log line", 20_000);
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("close", resolve));
  const lines = stderr.trimEnd().split("\n");
  assert.match(lines[0] as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info listening address=127\.0\.0\.1 port=\d+ pid=\d+ path=\/webhooks\/telnyx /);
  assert.match(lines.at(-1) as string, /^\S+ info stopped why=SIGTERM exitCode=0$/);
});
