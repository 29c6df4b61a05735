// A NATS client connection that stays up: a pool of servers (the configured URLs plus the cluster's
// advertised connect_urls), reconnection with capped, jittered backoff, lame-duck mode, PING/PONG
// keepalive, and requests whose replies come back on a per-connection inbox. A request outlives
// the connection it was written on: after a drop it is written again on the next one (so a publish
// goes out again with the same Nats-Msg-Id, which JetStream deduplicates), until its own deadline.
import { Buffer } from "node:buffer";
import type { Socket } from "node:net";
import type { Logger } from "../../lib/log.ts";
import { handshake, HandshakeError, type HandshakeOptions } from "./handshake.ts";
import { parseNatsHeaders, type NatsHeaders, type NatsMessage, type NatsOp, type NatsParser } from "./parser.ts";
import { createPendingRequests, NatsRequestError, type NatsReply } from "./pending.ts";
import { createServerPool } from "./server-pool.ts";

export { NatsRequestError, type NatsReply } from "./pending.ts";

/** What {@link createNatsConnection} needs. */
export interface NatsConnectionOptions extends HandshakeOptions {
  readonly urls: readonly URL[];
  /** A random number in [0, 1): jitter, inbox names. */
  readonly random: () => number;
  readonly log: Logger;
  /** Called on every connection after the first. */
  readonly onReconnect: () => void;
}

/** How the first pass over the configured servers went. */
export type FirstConnection = { readonly ok: true } | { readonly ok: false; readonly fatal: boolean; readonly errors: readonly string[] };

/** A self-healing connection to a NATS cluster. */
export interface NatsConnection {
  /**
   * Resolves when the first connection is up, or when one pass over the configured servers found
   * none: with the errors, `fatal` when retrying cannot help (credentials, TLS). Connecting goes on
   * in the background either way.
   */
  readonly first: Promise<FirstConnection>;
  /** Sends `payload` (with `headers`, if any) to `subject` and waits for the reply. Rejects with a {@link NatsRequestError}. */
  request(subject: string, headers: ReadonlyArray<readonly [string, string]>, payload: Uint8Array, timeoutMs: number): Promise<NatsReply>;
  /** The connected server's max_payload (bytes a message may carry, headers included); undefined before the first connection. */
  maxPayload(): number | undefined;
  close(): Promise<void>;
}

const BACKOFF_BASE_MS = 50;
const BACKOFF_CAP_MS = 2_000;
const PING_INTERVAL_MS = 5_000;
const MAX_PINGS_OUT = 2;

/**
 * Starts connecting to the cluster (in the background) and returns the connection.
 *
 * One closure holds the connection's state (socket, pool, pending requests, backoff); each inner
 * function is short, and they share that state, hence one factory longer than usual.
 *
 * @param options Servers, credentials, TLS CA, client name, handshake deadline, randomness, log, reconnect hook.
 * @returns The connection; `first` says how the first pass went.
 * @example
 * ```ts
 * const connection = createNatsConnection({ urls, credentials, ca: undefined, name: "telnyx-relay", timeoutMs: 1500, random: Math.random, log, onReconnect });
 * if (!(await connection.first).ok) throw new Error("no NATS server");
 * const reply = await connection.request("$JS.API.INFO", [], new Uint8Array(), 1000);
 * ```
 */
export function createNatsConnection(options: NatsConnectionOptions): NatsConnection {
  // One closure of ~150 lines on purpose: connecting, reconnecting, the keepalive and the requests
  // in flight share one explicit connection state (the socket, its parser, the server pool); the
  // protocol pieces themselves live in parser.ts, handshake.ts, pending.ts and server-pool.ts.
  const { log, random } = options;
  const pool = createServerPool(options.urls);
  const inbox = `_INBOX.${Math.floor(random() * 2 ** 48).toString(36)}${Math.floor(random() * 2 ** 48).toString(36)}.`;
  const pending = createPendingRequests();
  let nextToken = 0;
  let socket: Socket | undefined;
  let maxPayload: number | undefined;
  let closed = false;
  let connections = 0;
  let failures = 0;
  let pingsOut = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  const pinger = setInterval(ping, PING_INTERVAL_MS);
  pinger.unref?.();
  let reportFirst: (result: FirstConnection) => void = () => {};
  const first = new Promise<FirstConnection>((resolve) => (reportFirst = resolve));
  const firstErrors: Array<{ message: string; fatal: boolean }> = [];

  void attempt();

  async function attempt(): Promise<void> {
    retryTimer = undefined;
    if (closed) return;
    const url = pool.next();
    try {
      const established = await handshake(url, options);
      if (closed) return void established.socket.destroy();
      adopt(established.socket, established.parser, established.info, url, established.early);
    } catch (error) {
      const message = (error as Error).message;
      if (connections === 0 && firstErrors.length < pool.configured) {
        firstErrors.push({ message, fatal: error instanceof HandshakeError && error.fatal });
        if (firstErrors.length === pool.configured) reportFirst({ ok: false, fatal: firstErrors.every((seen) => seen.fatal), errors: firstErrors.map((seen) => seen.message) });
      }
      failures++;
      // Refused credentials or TLS after start-up need a person: said about once a minute at the
      // backoff's cap; an unreachable server is the reconnect loop's everyday business.
      if (connections > 0 && error instanceof HandshakeError && error.fatal && failures % 30 === 1) log.warn("nats refuses the connection", { error: message });
      else log.debug("nats connect failed", { error: message });
      const delay = random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(failures, 16));
      retryTimer = setTimeout(() => void attempt(), delay);
    }
  }

  function adopt(next: Socket, parser: NatsParser, info: Readonly<Record<string, unknown>>, url: URL, early: readonly NatsOp[]): void {
    socket = next;
    failures = 0;
    pingsOut = 0;
    pool.avoid(undefined);
    connections++;
    learn(info, url);
    if (connections === 1) reportFirst({ ok: true });
    else {
      options.onReconnect();
      log.info("nats reconnected", { server: url.host, resending: pending.size() });
    }
    next.setNoDelay(true);
    next.write(`SUB ${inbox}* 1\r\n`);
    // Everything not yet answered: written now (again, if the last connection dropped it).
    for (const frame of pending.frames()) next.write(frame);
    next.on("data", (chunk: Buffer) => {
      let ops: NatsOp[];
      try {
        ops = parser.push(chunk);
      } catch (error) {
        log.warn("nats protocol error; reconnecting", { server: url.host, error: (error as Error).message });
        next.destroy();
        return;
      }
      for (const op of ops) onOp(op, next, url);
    });
    next.on("error", (error: NodeJS.ErrnoException) => log.debug("nats connection error", { server: url.host, error: error.code ?? error.message }));
    next.on("close", () => {
      if (socket !== next) return;
      socket = undefined;
      if (closed) return;
      log.warn("nats connection lost; reconnecting", { server: url.host, unanswered: pending.size() });
      void attempt();
    });
    for (const op of early) onOp(op, next, url);
  }

  function onOp(op: NatsOp, on: Socket, url: URL): void {
    if (op.op === "ping") on.write("PONG\r\n");
    else if (op.op === "pong") pingsOut = 0;
    else if (op.op === "msg") reply(op.message);
    else if (op.op === "err") log.warn("nats server error", { server: url.host, error: op.text });
    else if (op.op === "info") {
      learn(op.info, url);
      if (op.info.ldm === true) {
        // Lame-duck mode: the server is going away. Move now; unanswered requests go with us.
        log.info("nats server entering lame-duck mode; moving", { server: url.host });
        pool.avoid(url.host);
        on.destroy();
      }
    }
  }

  function learn(info: Readonly<Record<string, unknown>>, from: URL): void {
    if (typeof info.max_payload === "number") maxPayload = info.max_payload;
    pool.learn(info, from);
  }

  function reply(message: NatsMessage): void {
    if (!message.subject.startsWith(inbox)) return;
    let headers: NatsHeaders | undefined;
    try {
      headers = message.headers === undefined ? undefined : parseNatsHeaders(message.headers);
    } catch {
      headers = undefined;
    }
    pending.answer(message.subject.slice(inbox.length), { headers, payload: message.payload });
  }

  function ping(): void {
    if (socket === undefined) return;
    if (pingsOut >= MAX_PINGS_OUT) {
      log.warn("nats server stopped answering PING; reconnecting");
      socket.destroy();
      return;
    }
    pingsOut++;
    socket.write("PING\r\n");
  }

  return {
    first,
    request(subject, headers, payload, timeoutMs) {
      if (closed) return Promise.reject(new NatsRequestError("the NATS connection is closed", false));
      const token = (nextToken++).toString(36);
      const frame = encodeFrame(subject, `${inbox}${token}`, headers, payload);
      const answered = pending.add(token, frame, timeoutMs, () => socket !== undefined);
      socket?.write(frame);
      return answered;
    },
    maxPayload: () => maxPayload,
    async close() {
      closed = true;
      clearInterval(pinger);
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      reportFirst({ ok: false, fatal: false, errors: ["closed"] });
      pending.rejectAll(new NatsRequestError("the NATS connection was closed", false));
      socket?.destroy();
      socket = undefined;
    },
  };
}

/**
 * The bytes of one PUB (no headers) or HPUB.
 *
 * @param subject Where to publish.
 * @param replyTo The reply subject.
 * @param headers Header name/value pairs (none: a PUB).
 * @param payload The payload.
 * @returns The frame, ready to write.
 * @example
 * ```ts
 * encodeFrame("a.b", "_INBOX.x.1", [["Nats-Msg-Id", "42"]], Buffer.from("{}"));
 * ```
 */
export function encodeFrame(subject: string, replyTo: string, headers: ReadonlyArray<readonly [string, string]>, payload: Uint8Array): Buffer {
  if (headers.length === 0) return Buffer.concat([Buffer.from(`PUB ${subject} ${replyTo} ${payload.length}\r\n`), payload, Buffer.from("\r\n")]);
  const block = Buffer.from(`NATS/1.0\r\n${headers.map(([name, value]) => `${name}: ${value}\r\n`).join("")}\r\n`);
  const head = Buffer.from(`HPUB ${subject} ${replyTo} ${block.length} ${block.length + payload.length}\r\n`);
  return Buffer.concat([head, block, payload, Buffer.from("\r\n")]);
}
