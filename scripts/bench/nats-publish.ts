// Measures the NATS JetStream side on its own, with the relay's client: publishes per second to a
// local R1 stream (one nats-server) and an R3 stream (a 3-node cluster on loopback), with 1 and 64
// in flight; and the pause in acknowledged publishes when the R3 stream's leader is killed (-9).
// Figures, never assertions: `node scripts/bench/nats-publish.ts [--seconds 5]`.
import { Buffer } from "node:buffer";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { NatsConnection } from "../../src/transports/nats/connection.ts";
import { publish } from "../../src/transports/nats/jetstream.ts";
import { createStream, natsClient, readStream, streamLeader } from "../../test/support/nats-jetstream.ts";
import { NATS_SERVER, startNats } from "../../test/support/nats-server.ts";

const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1] || 5);
// About the size of a REFER status CloudEvent.
const PAYLOAD = Buffer.from(JSON.stringify({ specversion: "1.0", type: "com.telnyx.texml.refer.status", data: "x".repeat(700) }));

/** Publishes with `inFlight` concurrent publishers for `ms`; returns acknowledged publishes per second. */
async function rate(client: NatsConnection, inFlight: number, ms: number, prefix: string): Promise<number> {
  let acked = 0;
  let n = 0;
  const end = Date.now() + ms;
  const worker = async (): Promise<void> => {
    while (Date.now() < end) {
      const result = await publish(client, "bench.event", `${prefix}-${n++}`, PAYLOAD, 5000, Date.now);
      if (result.kind === "stored") acked++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, worker));
  return acked / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  if (NATS_SERVER === undefined) {
    process.stderr.write("nats-server is not installed (Debian: apt-get install nats-server)\n");
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), "telnyx-relay-nats-bench-"));
  try {
    for (const replicas of [1, 3] as const) {
      const cluster = await startNats({ dir: join(dir, `r${replicas}`), nodes: replicas });
      const client = await natsClient(cluster.urls);
      await createStream(client, { name: "BENCH", subjects: ["bench.>"], replicas });
      for (const inFlight of [1, 64]) {
        await rate(client, inFlight, 1000, `warm-${replicas}-${inFlight}`);
        const perSec = await rate(client, inFlight, seconds * 1000, `r${replicas}-${inFlight}`);
        process.stdout.write(`R${replicas} file stream, ${inFlight} in flight: ${Math.round(perSec).toLocaleString("en")} publishes/s\n`);
      }
      if (replicas === 3) process.stdout.write(`${await leaderKillPause(client, cluster)}\n`);
      await client.close();
      await cluster.stop();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One publisher at a time, with the relay's 1.5 s deadline; kill -9 of the leader; the longest gap between PubAcks. */
async function leaderKillPause(client: NatsConnection, cluster: Awaited<ReturnType<typeof startNats>>): Promise<string> {
  const leader = await streamLeader(client, "BENCH");
  let lastAck = performance.now();
  let longest = 0;
  let failed = 0;
  let stop = false;
  const ids: string[] = [];
  const loop = (async () => {
    for (let n = 0; !stop; n++) {
      const id = `kill-${n}`;
      const result = await publish(client, "bench.event", id, PAYLOAD, 1500, Date.now);
      if (result.kind === "stored") {
        ids.push(id);
        const now = performance.now();
        longest = Math.max(longest, now - lastAck);
        lastAck = now;
      } else failed++;
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await cluster.kill(leader);
  await new Promise((resolve) => setTimeout(resolve, 15_000));
  stop = true;
  await loop;
  await cluster.restart(leader);
  const stored = new Set((await readStream(client, "BENCH")).map((message) => message.id));
  const lost = ids.filter((id) => !stored.has(id)).length;
  return `kill -9 of the R3 leader (${leader}): longest pause between PubAcks ${(longest / 1000).toFixed(1)} s, ${failed} publishes not acknowledged within 1.5 s meanwhile, ${lost} of ${ids.length} acknowledged missing afterwards`;
}

await main();
