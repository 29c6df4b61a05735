import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import type { AddressInfo, Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { after, describe, test } from "node:test";

import { createDedup } from "../../src/pipeline/dedup.ts";
import { createDeadLetterFile } from "../../src/lib/dead-letter-file.ts";
import { openSink, type OpenSinkDeps } from "../../src/sinks/open-sink.ts";
import { createLogger } from "../../src/lib/log.ts";
import { createMetrics } from "../../src/lib/metrics.ts";
import { expectConfig, loadFlags } from "../support/config.ts";
import { runRelay, startChildRelay } from "../support/child-relay.ts";
import { freePort } from "../support/downstream.ts";
import { makeKeys } from "../support/keys.ts";
import { until } from "../support/wait.ts";

const keys = makeKeys();
const root = mkdtempSync(join(tmpdir(), "telnyx-relay-open-sink-"));
after(() => rmSync(root, { recursive: true, force: true }));
const EVENT = { id: "0c3009a5a081707385f2effb8111b053", json: '{"specversion":"1.0","id":"0c3009a5a081707385f2effb8111b053"}' };

function deps(): OpenSinkDeps {
  return {
    stdout: new PassThrough(),
    log: createLogger(() => {}, "error", Date.now),
    now: Date.now,
    metrics: createMetrics(),
    deadLetters: createDeadLetterFile(join(root, "dead.jsonl")),
    dedup: createDedup({ windowMs: 60_000, maxEntries: 100, now: Date.now }),
    onFatal: () => {},
  };
}

const config = (flags: Record<string, string[]>) => expectConfig(loadFlags({ "public-key": [keys.portalKey], ...flags }));

/** A loopback HTTP downstream that answers 204 and tells which of its connections are still open. */
async function startCountingDownstream(): Promise<{ url: string; open: Set<Socket>; server: Server }> {
  const open = new Set<Socket>();
  const server = createServer((request, response) => {
    request.resume();
    request.on("end", () => response.writeHead(204).end());
  });
  server.on("connection", (socket: Socket) => {
    open.add(socket);
    socket.on("close", () => open.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/in`, open, server };
}

describe("openSink()", () => {
  test("without --forward-url it is the stdout sink", async () => {
    const sink = await openSink(config({}), deps());
    assert.equal(sink.name, "stdout");
    await sink.close(100);
  });

  test("synchronous forwarding: the sink closes its transport's kept-alive connection itself", async () => {
    const downstream = await startCountingDownstream();
    try {
      const sink = await openSink(config({ "forward-url": [downstream.url] }), deps());
      assert.equal(sink.name, "forward");
      assert.deepEqual(await sink.deliver(EVENT), { ok: true });
      assert.equal(downstream.open.size, 1, "kept alive after the delivery");
      await sink.close(1000);
      await until(() => downstream.open.size === 0, "the connection to close");
    } finally {
      downstream.server.close();
    }
  });

  test("spooled forwarding: the sink holds the directory's lock until its own close lets go of it", async () => {
    const dir = join(root, "spool");
    const flags = ["--forward-url", `http://127.0.0.1:${await freePort()}/`, "--spool-dir", dir, "--dead-letter-file", join(root, "dl.jsonl")];
    const sink = await openSink(config({ "forward-url": [flags[1] as string], "spool-dir": [dir] }), deps());
    assert.equal(sink.name, "spool");
    // Another process is refused while the sink is open…
    const refused = await runRelay(["--host", "127.0.0.1", "--port", "0", ...flags], { TELNYX_PUBLIC_KEY: keys.portalKey });
    assert.equal(refused.code, 2, refused.stderr);
    assert.match(refused.stderr, /in use/);
    // …and takes the directory once the sink's close let go of it (nobody else released it).
    await sink.close(1000);
    const relay = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args: flags });
    relay.child.kill("SIGTERM");
    assert.equal((await relay.exited).code, 0);
  });
});
