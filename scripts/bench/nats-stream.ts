// The NATS side of the benchmark's relay-nats rows: a local nats-server (R1) or 3-node cluster (R3)
// with JetStream and file storage under the run's directory, a stream on telnyx.>, and at the end
// how many messages (distinct event ids, thanks to Nats-Msg-Id) it holds.
import { join } from "node:path";
import { createStream, jsApi, natsClient } from "../../test/support/nats-jetstream.ts";
import { NATS_SERVER, startNats } from "../../test/support/nats-server.ts";

/** A running NATS for one benchmark run. */
export interface BenchNats {
  /** The value of --nats-url. */
  readonly url: string;
  /** Messages in the stream now. */
  messages(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts nats-server (one, or a cluster of three) and creates the stream the relay publishes to.
 *
 * @param dir The run's directory (storage goes under it).
 * @param replicas 1: one server, R1 stream; 3: a 3-node cluster, R3 stream.
 * @returns The running NATS.
 * @throws {Error} When nats-server is not installed.
 * @example
 * ```ts
 * const nats = await startBenchNats(runDir, 3);
 * ```
 */
export async function startBenchNats(dir: string, replicas: 1 | 3): Promise<BenchNats> {
  if (NATS_SERVER === undefined) throw new Error("nats-server is not installed (Debian: apt-get install nats-server); leave the relay-nats rows out with --only");
  const cluster = await startNats({ dir: join(dir, "nats"), nodes: replicas });
  const client = await natsClient(cluster.urls);
  await createStream(client, { name: "TELNYX", subjects: ["telnyx.>"], replicas });
  return {
    url: cluster.urls.join(","),
    async messages() {
      const info = await jsApi(client, "$JS.API.STREAM.INFO.TELNYX", undefined, 10_000);
      return (info.state as { messages: number }).messages;
    },
    async stop() {
      await client.close();
      await cluster.stop();
    },
  };
}

/**
 * Whether the benchmark can run the relay-nats rows here.
 *
 * @returns true when nats-server is installed.
 * @example
 * ```ts
 * if (!natsAvailable()) say("nats-server is not installed");
 * ```
 */
export function natsAvailable(): boolean {
  return NATS_SERVER !== undefined;
}
