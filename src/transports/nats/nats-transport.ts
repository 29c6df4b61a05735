import { Buffer } from "node:buffer";
import { readFileSync } from "node:fs";
import type { NatsConfig } from "../../config/nats-config.ts";
import type { Logger } from "../../lib/log.ts";
import type { Metrics } from "../../lib/metrics.ts";
import type { Outgoing, SendOutcome, Transport } from "../transport.ts";
import { loadCredentials } from "./auth.ts";
import { createNatsConnection } from "./connection.ts";
import { publish, streamsFor } from "./jetstream.ts";
import { eventType, subjectFor, TYPE_PLACEHOLDER } from "./subject.ts";

/** What {@link openNatsTransport} needs. */
export interface NatsTransportDeps {
  readonly log: Logger;
  readonly now: () => number;
  readonly random: () => number;
  readonly metrics: Metrics;
  /**
   * true (synchronous mode): no server reachable at start-up is a start-up error. false (spooled
   * mode): the relay starts anyway, journals, and publishes once the cluster is back.
   */
  readonly mustConnect: boolean;
  /**
   * The largest body a request may carry (`--body-limit`): a server whose max_payload is smaller
   * could never take such an event, so that is a start-up error (checked once a server answered).
   */
  readonly bodyLimit?: number;
  /** Reads a file (the CA, a seed or creds file); node:fs's by default. */
  readonly readFile?: (path: string) => Buffer;
}

const DELIVERED: SendOutcome = { kind: "delivered" };

/**
 * Opens the NATS JetStream transport: connects, and checks that a stream captures the subject.
 *
 * Each event is published to the subject of its type with `Nats-Msg-Id` = the event id, so the
 * stream stores it once whichever replica publishes it and however often; delivered means the
 * PubAck came (`duplicate: true` included). Never creates a stream.
 *
 * @param config Servers, subject template, PubAck deadline, credentials, CA file.
 * @param deps Logger, clock, randomness, metrics, whether a server must answer now, file reader.
 * @returns The transport; `close` drops the connection.
 * @throws {Error} A credential or CA file that cannot be read; credentials refused; TLS failing; no
 *   stream capturing the subject; no server reachable when `mustConnect`. One line, no secret.
 * @example
 * ```ts
 * const transport = await openNatsTransport(config.nats, { log, now: Date.now, random: Math.random, metrics, mustConnect: true });
 * ```
 */
export async function openNatsTransport(config: NatsConfig, deps: NatsTransportDeps): Promise<Transport> {
  const { log, now, metrics } = deps;
  const readFile = deps.readFile ?? ((path: string) => readFileSync(path));
  const credentials = loadCredentials(config.auth, (path) => readFile(path).toString("utf8"));
  let ca: Buffer | undefined;
  try {
    ca = config.caFile === undefined ? undefined : readFile(config.caFile);
  } catch (error) {
    throw new Error(`--nats-ca: cannot read ${config.caFile}: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
  }
  const connection = createNatsConnection({
    urls: config.urls,
    credentials,
    ca,
    name: "telnyx-relay",
    timeoutMs: config.timeoutMs,
    random: deps.random,
    log,
    onReconnect: () => metrics.natsReconnect(),
  });
  try {
    await checkStartUp(config, connection, deps);
  } catch (error) {
    await connection.close();
    throw error;
  }

  async function send(event: Outgoing): Promise<SendOutcome> {
    const subject = subjectFor(config.subject, eventType(event));
    const started = now();
    const result = await publish(connection, subject, event.id, Buffer.from(event.json), config.timeoutMs, now);
    if (result.kind === "stored") {
      metrics.natsPublished((now() - started) / 1000, result.duplicate);
      return DELIVERED;
    }
    metrics.natsRetry();
    if (result.kind === "refuse") return { kind: "refuse", detail: result.reason, answer: { subject, code: result.code, reason: result.reason } };
    return { kind: "retry", reason: result.reason, reached: result.reached };
  }

  return { send, close: () => connection.close() };
}

async function checkStartUp(config: NatsConfig, connection: ReturnType<typeof createNatsConnection>, deps: NatsTransportDeps): Promise<void> {
  const first = await connection.first;
  const servers = config.urls.map((url) => url.host).join(", ");
  if (!first.ok) {
    if (first.fatal || deps.mustConnect) throw new Error(`NATS: no server accepted the connection (${first.errors.join("; ")})`);
    // Debug, not warn: `listening` must stay the first line at the default level; the deliverer's
    // retries say the rest.
    deps.log.debug("no NATS server reachable yet; events are journaled and published once one is", { servers, errors: first.errors });
    return;
  }
  const maxPayload = connection.maxPayload();
  if (deps.bodyLimit !== undefined && maxPayload !== undefined && deps.bodyLimit > maxPayload) {
    throw new Error(`--body-limit (${deps.bodyLimit} bytes) is larger than the NATS server's max_payload (${maxPayload} bytes): a body that large could never be published; lower --body-limit or raise max_payload`);
  }
  // With {type} in the subject, a stream must capture at least some subject of that shape.
  const probe = config.subject.split(TYPE_PLACEHOLDER).join("*").replace(/\*$/, ">");
  let streams: string[];
  try {
    streams = await streamsFor(connection, probe, config.timeoutMs);
  } catch (error) {
    throw new Error(`NATS: cannot list the JetStream streams: ${(error as Error).message}`);
  }
  if (streams.length === 0) {
    throw new Error(`NATS: no JetStream stream captures the subject ${probe}; create one (see docs/nats.md) — the relay never creates streams`);
  }
  deps.log.debug("nats connected", { servers, subject: config.subject, streams });
}
