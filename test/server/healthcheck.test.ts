// `telnyx-relay healthcheck`, the container's HEALTHCHECK: the command line, and checkHealth()
// against a real loopback server standing in for the relay (the address it asks is read from the
// environment by healthTarget(): test/config/health-target.test.ts).
import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, describe, test } from "node:test";
import { parseCli } from "../../src/config/cli.ts";
import { checkHealth } from "../../src/server/healthcheck.ts";

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

/** A server answering every request with `status` (or never, for "hang"), on an ephemeral loopback port. */
async function serve(answer: number | "hang", host = "127.0.0.1"): Promise<{ server: Server; port: number; paths: string[] }> {
  const paths: string[] = [];
  const server = createServer((request, response) => {
    paths.push(`${request.method} ${request.url}`);
    if (answer !== "hang") response.writeHead(answer).end();
  });
  server.listen(0, host);
  await once(server, "listening");
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  return { server, port: (server.address() as AddressInfo).port, paths };
}

describe("parseCli() and healthcheck", () => {
  test("parseCli() reads `healthcheck` as the healthcheck command", () => {
    assert.deepEqual(parseCli(["healthcheck"]), { command: "healthcheck" });
  });

  test("parseCli() refuses arguments after `healthcheck`, naming the variables it reads instead", () => {
    const command = parseCli(["healthcheck", "--port", "9000"]);
    assert.equal(command.command, "usage-error");
    assert.match((command as { message: string }).message, /healthcheck takes no arguments.*TELNYX_RELAY_PORT/);
  });

  test("parseCli() does not take `healthcheck` after a flag for the command", () => {
    assert.equal(parseCli(["--port", "1", "healthcheck"]).command, "usage-error");
  });
});

describe("checkHealth()", () => {
  test("checkHealth() is healthy when GET /healthz answers 200", async () => {
    const { port, paths } = await serve(200);
    const result = await checkHealth({ host: "127.0.0.1", port }, 2000);
    assert.deepEqual(result, { healthy: true, message: `http://127.0.0.1:${port}/healthz answered 200` });
    assert.deepEqual(paths, ["GET /healthz"]);
  });

  test("checkHealth() is unhealthy when /healthz answers anything but 200", async () => {
    const { port } = await serve(503);
    assert.deepEqual(await checkHealth({ host: "127.0.0.1", port }, 2000), {
      healthy: false,
      message: `http://127.0.0.1:${port}/healthz answered 503`,
    });
  });

  test("checkHealth() is unhealthy, naming the error, when nothing listens", async () => {
    const { server, port } = await serve(200);
    server.close();
    await once(server, "close");
    const result = await checkHealth({ host: "127.0.0.1", port }, 2000);
    assert.equal(result.healthy, false);
    assert.match(result.message, new RegExp(`^http://127\\.0\\.0\\.1:${port}/healthz: ECONNREFUSED`));
  });

  test("checkHealth() is unhealthy when the answer takes longer than the timeout", async () => {
    const { port } = await serve("hang");
    const result = await checkHealth({ host: "127.0.0.1", port }, 100);
    assert.deepEqual(result, { healthy: false, message: `http://127.0.0.1:${port}/healthz: no answer within 100 ms` });
  });

  test("checkHealth() asks the host given, and names it", async () => {
    const { port } = await serve(200);
    assert.equal((await checkHealth({ host: "127.0.0.1", port }, 2000)).healthy, true);
    const elsewhere = await checkHealth({ host: "127.0.0.2", port }, 2000);
    assert.match(elsewhere.message, /^http:\/\/127\.0\.0\.2:/);
  });

  test("checkHealth() brackets an IPv6 address in its message", async () => {
    const result = await checkHealth({ host: "::1", port: await closedPort() }, 2000);
    assert.match(result.message, /^http:\/\/\[::1\]:\d+\/healthz: /);
  });
});
