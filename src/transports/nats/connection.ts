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

/** A reply to a request. */
export interface NatsReply {
  readonly headers: NatsHeaders | undefined;
  readonly payload: Buffer;
}

/** Why a request got no reply. `reached`: false when no server was connected to carry it. */
export class NatsRequestError extends Error {
  readonly reached: boolean;
  constructor(message: string, reached: boolean) {
    super(message);
    this.name = "NatsRequestError";
    this.reached = reached;
  }
}

/** What {@link createNatsConnection} needs. */
export interface NatsConnectionOptions extends HandshakeOptions {
  readonly urls: readonly URL[];
  /** A random number in [0, 1): jitter, inbox names. */
  readonly random: () => number;
  readonly log: Logger;
  /** Called on every connection after the first. */
  readonly onReconnect: () => void;
}

/** A self-healing connection to a NATS cluster. */
export interface NatsConnection {
  /**
   * Resolves when the first connection is up, or when one pass over the configured servers found
   * none: with the errors, `fatal` when retrying cannot help (credentials, TLS). Connecting goes on
   * in the background either way.
   */
  readonly first: Promise<{ readonly ok: true } | { readonly ok: false; readonly fatal: boolean; readonly errors: readonly string[] }>;
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

interface Pending {
  readonly frame: Buffer;
  readonly resolve: (reply: NatsReply) => void;
  readonly reject: (error: NatsRequestError) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * Starts connecting to the cluster (in the background) and returns the connection.
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
  const { log, random } = options;
  const pool: URL[] = [...options.urls];
  const known = new Set(pool.map((url) => url.host));
  const inbox = `_INBOX.${Math.floor(random() * 2 ** 48).toString(36)}${Date.now().toString(36)}.`;
  const pending = new Map<string, Pending>();
  let nextToken = 0;
  let socket: Socket | undefined;
  let maxPayload: number | undefined;
  let closed = false;
  let connections = 0;
  let failures = 0;
  let cursor = 0;
  let lameDuck: string | undefined;
  let pingsOut = 0;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  const pinger = setInterval(ping, PING_INTERVAL_MS);
  pinger.unref?.();
  let reportFirst: (result: Awaited<NatsConnection["first"]>) => void = () => {};
  const first = new Promise<Awaited<NatsConnection["first"]>>((resolve) => (reportFirst = resolve));
  const firstErrors: Array<{ message: string; fatal: boolean }> = [];

  void attempt();

  async function attempt(): Promise<void> {
    retryTimer = undefined;
    if (closed) return;
    let url = pool[cursor % pool.length] as URL;
    // Leave a server in lame-duck mode alone while another is known.
    if (url.host === lameDuck && pool.length > 1) url = pool[++cursor % pool.length] as URL;
    cursor++;
    try {
      const established = await handshake(url, options);
      if (closed) return void established.socket.destroy();
      adopt(established.socket, established.parser, established.info, url, established.early);
    } catch (error) {
      const message = (error as Error).message;
      if (connections === 0 && firstErrors.length < pool.length) {
        firstErrors.push({ message, fatal: error instanceof HandshakeError && error.fatal });
        if (firstErrors.length === options.urls.length) {
          reportFirst({ ok: false, fatal: firstErrors.every((seen) => seen.fatal), errors: firstErrors.map((seen) => seen.message) });
        }
      }
      log.debug("nats connect failed", { error: message });
      failures++;
      const delay = random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** Math.min(failures, 16));
      retryTimer = setTimeout(() => void attempt(), delay);
    }
  }

  function adopt(next: Socket, parser: NatsParser, info: Readonly<Record<string, unknown>>, url: URL, early: readonly NatsOp[]): void {
    socket = next;
    failures = 0;
    pingsOut = 0;
    lameDuck = undefined;
    connections++;
    learn(info, url);
    if (connections === 1) reportFirst({ ok: true });
    else {
      options.onReconnect();
      log.info("nats reconnected", { server: url.host, resending: pending.size });
    }
    next.setNoDelay(true);
    next.write(`SUB ${inbox}* 1\r\n`);
    // Everything not yet answered: written now (again, if the last connection dropped it).
    for (const request of pending.values()) next.write(request.frame);
    const handle = (op: NatsOp): void => onOp(op, next, url);
    next.on("data", (chunk: Buffer) => {
      let ops: NatsOp[];
      try {
        ops = parser.push(chunk);
      } catch (error) {
        log.warn("nats protocol error; reconnecting", { server: url.host, error: (error as Error).message });
        next.destroy();
        return;
      }
      for (const op of ops) handle(op);
    });
    next.on("error", (error: NodeJS.ErrnoException) => log.debug("nats connection error", { server: url.host, error: error.code ?? error.message }));
    next.on("close", () => {
      if (socket !== next) return;
      socket = undefined;
      if (closed) return;
      log.warn("nats connection lost; reconnecting", { server: url.host, unanswered: pending.size });
      void attempt();
    });
    for (const op of early) handle(op);
  }

  function onOp(op: NatsOp, on: Socket, url: URL): void {
    switch (op.op) {
      case "ping":
        on.write("PONG\r\n");
        return;
      case "pong":
        pingsOut = 0;
        return;
      case "info":
        learn(op.info, url);
        if (op.info.ldm === true) {
          // Lame-duck mode: the server is going away. Move now; unanswered requests go with us.
          log.info("nats server entering lame-duck mode; moving", { server: url.host });
          lameDuck = url.host;
          on.destroy();
        }
        return;
      case "err":
        // After the handshake, -ERR is a permission or protocol problem; the server may close.
        log.warn("nats server error", { server: url.host, error: op.text });
        return;
      case "msg":
        return reply(op.message);
      case "ok":
        return;
    }
  }

  function learn(info: Readonly<Record<string, unknown>>, from: URL): void {
    if (typeof info.max_payload === "number") maxPayload = info.max_payload;
    const urls = Array.isArray(info.connect_urls) ? info.connect_urls : [];
    for (const hostPort of urls) {
      if (typeof hostPort !== "string" || known.has(hostPort)) continue;
      try {
        pool.push(new URL(`${from.protocol}//${hostPort}`));
        known.add(hostPort);
      } catch {
        // Not a host:port: ignored.
      }
    }
  }

  function reply(message: NatsMessage): void {
    if (!message.subject.startsWith(inbox)) return;
    const token = message.subject.slice(inbox.length);
    const request = pending.get(token);
    if (request === undefined) return;
    pending.delete(token);
    clearTimeout(request.timer);
    let headers: NatsHeaders | undefined;
    try {
      headers = message.headers === undefined ? undefined : parseNatsHeaders(message.headers);
    } catch {
      headers = undefined;
    }
    request.resolve({ headers, payload: message.payload });
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

  function request(subject: string, headers: ReadonlyArray<readonly [string, string]>, payload: Uint8Array, timeoutMs: number): Promise<NatsReply> {
    if (closed) return Promise.reject(new NatsRequestError("the NATS connection is closed", false));
    const token = (nextToken++).toString(36);
    const frame = encodeFrame(subject, `${inbox}${token}`, headers, payload);
    return new Promise<NatsReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(token);
        const connected = socket !== undefined;
        reject(new NatsRequestError(connected ? `no reply within ${timeoutMs} ms` : `no NATS server connected within ${timeoutMs} ms`, connected));
      }, timeoutMs);
      pending.set(token, { frame, resolve, reject, timer });
      socket?.write(frame);
    });
  }

  return {
    first,
    request,
    maxPayload: () => maxPayload,
    async close() {
      closed = true;
      clearInterval(pinger);
      if (retryTimer !== undefined) clearTimeout(retryTimer);
      reportFirst({ ok: false, fatal: false, errors: ["closed"] });
      for (const [token, request] of pending) {
        pending.delete(token);
        clearTimeout(request.timer);
        request.reject(new NatsRequestError("the NATS connection was closed", false));
      }
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
