import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { createLogger } from "../../src/lib/log.ts";
import { createMetrics } from "../../src/lib/metrics.ts";
import { createHttpHandler } from "../../src/server/http-handler.ts";
import { rawExchange, statusOfRaw } from "../support/http.ts";

test("while draining, an answer that closes the connection itself says `Connection: close` once", async () => {
  const handler = createHttpHandler({
    path: "/webhooks/telnyx",
    bodyLimit: 10,
    bodyBudget: 1 << 20,
    relay: async () => {
      throw new Error("not reached: the body is too large");
    },
    log: createLogger(() => {}, "error", Date.now),
    draining: () => true,
    ready: () => true,
    metrics: createMetrics(),
  });
  const server = createServer(handler);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const { port } = server.address() as AddressInfo;
    const response = await rawExchange(
      port,
      "POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\nhello world",
    );
    assert.equal(statusOfRaw(response), 413);
    const head = response.slice(0, response.indexOf("\r\n\r\n"));
    assert.equal(head.match(/^connection: close$/gim)?.length, 1, head);
  } finally {
    server.close();
    server.closeAllConnections();
  }
});
