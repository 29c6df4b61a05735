// The JetStream API for tests, through the relay's own client: wait for JetStream, create a stream,
// read every message of a stream back ($JS.API.STREAM.MSG.GET), find a stream's leader.
import { Buffer } from "node:buffer";
import { createNatsConnection, type NatsConnection } from "../../src/transports/nats/connection.ts";
import { loadCredentials } from "../../src/transports/nats/auth.ts";
import type { Logger } from "../../src/lib/log.ts";
import type { NatsAuth } from "../../src/config/nats-config.ts";

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/**
 * A client connection for the test itself.
 *
 * @param urls The servers.
 * @param auth Its credentials (none by default).
 * @param ca The CA to trust for TLS.
 * @returns The connection, connected.
 */
export async function natsClient(urls: readonly string[], auth: NatsAuth = { kind: "none" }, ca?: Buffer): Promise<NatsConnection> {
  const connection = createNatsConnection({
    urls: urls.map((url) => new URL(url)),
    credentials: loadCredentials(auth),
    ca,
    name: "test",
    timeoutMs: 2000,
    random: Math.random,
    log: quiet,
    onReconnect: () => {},
  });
  const first = await connection.first;
  if (!first.ok) throw new Error(`test client: ${first.errors.join("; ")}`);
  return connection;
}

/** Sends a JetStream API request and returns its JSON answer. */
export async function jsApi(connection: NatsConnection, subject: string, body: unknown, timeoutMs = 2000): Promise<Record<string, unknown>> {
  const reply = await connection.request(subject, [], Buffer.from(body === undefined ? "" : JSON.stringify(body)), timeoutMs);
  if (reply.headers?.status === 503) throw new Error(`${subject}: no responders`);
  return JSON.parse(reply.payload.toString("utf8")) as Record<string, unknown>;
}

/** Retries `action` until it succeeds, for at most `ms` (a bound on the wait, not a timing assertion). */
export async function retrying<T>(what: string, action: () => Promise<T>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      return await action();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Options of a stream made by {@link createStream}. */
export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
  readonly replicas: 1 | 3;
  /** Largest message the stream takes, bytes (-1: no limit). */
  readonly maxMsgSize?: number;
  /** A whole stream config (JetStream API JSON) to start from, e.g. deploy/nats-stream.json. */
  readonly base?: Readonly<Record<string, unknown>>;
}

/**
 * Creates a file-storage stream (retrying while the cluster elects its meta leader) and waits until it has a leader.
 *
 * @returns The stream's leader (server name).
 */
export async function createStream(connection: NatsConnection, spec: StreamSpec): Promise<string> {
  const config = {
    storage: "file",
    duplicate_window: 120_000_000_000,
    max_msg_size: spec.maxMsgSize ?? -1,
    ...spec.base,
    name: spec.name,
    subjects: spec.subjects,
    num_replicas: spec.replicas,
  };
  await retrying(`create stream ${spec.name}`, async () => {
    const answer = await jsApi(connection, `$JS.API.STREAM.CREATE.${spec.name}`, config);
    const error = answer.error as { description?: string } | undefined;
    if (error && !/already in use/.test(String(error.description))) throw new Error(String(error.description));
  });
  return streamLeader(connection, spec.name);
}

/** The stream's current leader (server name), waiting for one. */
export async function streamLeader(connection: NatsConnection, stream: string): Promise<string> {
  return retrying(`leader of ${stream}`, async () => {
    const info = await jsApi(connection, `$JS.API.STREAM.INFO.${stream}`, undefined);
    if (info.error) throw new Error(JSON.stringify(info.error));
    const cluster = info.cluster as { name?: string; leader?: string } | undefined;
    // A single server (not clustered) is its streams' only home.
    if (cluster?.name === undefined && info.state !== undefined) return "single";
    const leader = cluster?.leader;
    if (!leader) throw new Error("no leader yet");
    return leader;
  });
}

/** A message read back from a stream. */
export interface StoredMessage {
  readonly seq: number;
  readonly subject: string;
  /** Its Nats-Msg-Id header. */
  readonly id: string | undefined;
  readonly data: string;
}

/**
 * Every message in the stream, by sequence.
 *
 * @returns The messages, oldest first.
 */
export async function readStream(connection: NatsConnection, stream: string): Promise<StoredMessage[]> {
  const info = await retrying(`info of ${stream}`, async () => {
    const answer = await jsApi(connection, `$JS.API.STREAM.INFO.${stream}`, undefined);
    if (answer.error) throw new Error(JSON.stringify(answer.error));
    return answer;
  });
  const state = info.state as { first_seq: number; last_seq: number; messages: number };
  const messages: StoredMessage[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const answer = await retrying(`message ${seq} of ${stream}`, () => jsApi(connection, `$JS.API.STREAM.MSG.GET.${stream}`, { seq }));
    const message = answer.message as { subject: string; seq: number; hdrs?: string; data?: string } | undefined;
    if (message === undefined) continue;
    const headers = message.hdrs === undefined ? "" : Buffer.from(message.hdrs, "base64").toString("utf8");
    const id = /^Nats-Msg-Id:\s*(.*?)\r?$/im.exec(headers)?.[1];
    messages.push({ seq: message.seq, subject: message.subject, id, data: Buffer.from(message.data ?? "", "base64").toString("utf8") });
  }
  return messages;
}
