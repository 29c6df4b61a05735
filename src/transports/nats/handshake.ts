// One connection to one NATS server, up to the point where it may be used: TCP, the server's INFO,
// the TLS upgrade when either side wants it, CONNECT with credentials, and PING answered by PONG
// (the server's proof that it accepted CONNECT; with verbose off, a refusal is a -ERR instead).
import { Buffer } from "node:buffer";
import { connect as connectTcp, isIP, type Socket } from "node:net";
import { connect as connectTls } from "node:tls";
import type { NatsCredentials } from "./auth.ts";
import { createNatsParser, type NatsOp, type NatsParser } from "./parser.ts";

/** A connection that passed the handshake. */
export interface Established {
  readonly socket: Socket;
  /** The parser of the bytes that come next (after TLS, a fresh one). */
  readonly parser: NatsParser;
  /** The server's INFO. */
  readonly info: Readonly<Record<string, unknown>>;
  /** Operations that arrived with the PONG, to be handled as usual. */
  readonly early: readonly NatsOp[];
}

/** Why a handshake failed. `fatal`: retrying the same way cannot help (credentials, TLS, protocol). */
export class HandshakeError extends Error {
  readonly fatal: boolean;
  constructor(message: string, fatal: boolean) {
    super(message);
    this.name = "HandshakeError";
    this.fatal = fatal;
  }
}

/** What {@link handshake} needs. */
export interface HandshakeOptions {
  readonly credentials: NatsCredentials;
  /** CA certificates (PEM) to trust instead of the system's. */
  readonly ca: Buffer | undefined;
  /** The client's name in the server's monitoring (`connz`). */
  readonly name: string;
  readonly timeoutMs: number;
}

/**
 * Connects to one server and completes the handshake, within `options.timeoutMs`.
 *
 * One promise-shaped state machine (INFO → TLS when wanted → CONNECT + PING → PONG or -ERR) whose
 * steps share the socket, the parser and the deadline: hence one function longer than usual.
 *
 * @param url The server (`nats://` or `tls://`; a `tls://` URL insists on TLS).
 * @param options Credentials, CA, client name, deadline.
 * @returns The established connection.
 * @throws {HandshakeError} Unreachable, refused, timed out, or refused CONNECT (messages carry no secret).
 * @example
 * ```ts
 * const { socket, parser, info } = await handshake(new URL("nats://127.0.0.1:4222"), options);
 * ```
 */
export function handshake(url: URL, options: HandshakeOptions): Promise<Established> {
  // One function of ~90 lines on purpose: the handshake is one sequence over one socket (INFO, the
  // TLS upgrade, CONNECT, PING/PONG), each step a few lines that share its deadline and its failure.
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const port = Number(url.port || 4222);
  const where = `${url.hostname}:${port}`;
  return new Promise<Established>((resolve, reject) => {
    let socket: Socket = connectTcp({ host, port });
    let parser = createNatsParser();
    let info: Readonly<Record<string, unknown>> | undefined;
    let settled = false;
    const fail = (message: string, fatal: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(new HandshakeError(`${where}: ${message}`, fatal));
    };
    const timer = setTimeout(() => fail(`no handshake within ${options.timeoutMs} ms`, false), options.timeoutMs);
    const onError = (error: NodeJS.ErrnoException): void => {
      const tlsProblem = info !== undefined && (error.code?.startsWith("ERR_TLS") || /certificate|SSL|TLS/i.test(error.message));
      fail(tlsProblem ? `TLS: ${error.code ?? error.message} (is --nats-ca the CA that signed the server's certificate?)` : (error.code ?? error.message), Boolean(tlsProblem));
    };
    const onClose = (): void => fail(info === undefined ? "closed before INFO" : "closed during the handshake (a server requiring TLS closes a plain connection)", false);
    const onData = (chunk: Buffer): void => {
      let ops: NatsOp[];
      try {
        ops = parser.push(chunk);
      } catch (error) {
        fail((error as Error).message, true);
        return;
      }
      for (let i = 0; i < ops.length && !settled; i++) step(ops[i] as NatsOp, ops.slice(i + 1));
    };
    const listen = (target: Socket): void => {
      target.on("data", onData);
      target.on("error", onError);
      target.on("close", onClose);
    };
    const step = (op: NatsOp, rest: NatsOp[]): void => {
      if (info === undefined) {
        if (op.op !== "info") return fail(`expected INFO, got ${op.op}`, true);
        info = op.info;
        if (info.headers !== true) return fail("the server does not support headers (nats-server 2.2 or later is needed)", true);
        const serverWants = info.tls_required === true;
        const weWant = url.protocol === "tls:";
        if (weWant && info.tls_available !== true && !serverWants) return fail("the server does not offer TLS, and the URL is tls://", true);
        if (serverWants || weWant) return upgrade();
        return sendConnect();
      }
      if (op.op === "err") return fail(`server refused the connection: ${op.text}`, /authori[sz]ation|authentication|permissions|tls/i.test(op.text));
      if (op.op === "pong") {
        settled = true;
        clearTimeout(timer);
        socket.off("data", onData);
        socket.off("error", onError);
        socket.off("close", onClose);
        resolve({ socket, parser, info, early: rest });
      }
      // +OK, PING (answered once established) and anything else before the PONG: nothing to do.
    };
    const upgrade = (): void => {
      socket.off("data", onData);
      socket.off("error", onError);
      socket.off("close", onClose);
      const tls = connectTls({ socket, ca: options.ca, servername: isIP(host) ? undefined : host, host });
      socket = tls;
      parser = createNatsParser();
      listen(tls);
      tls.once("secureConnect", sendConnect);
    };
    const sendConnect = (): void => {
      const nonce = typeof info?.nonce === "string" ? info.nonce : undefined;
      if (options.credentials.needsNonce && nonce === undefined) return fail("the server sent no nonce to sign: it is not set up for NKey users", true);
      const connect = {
        verbose: false,
        pedantic: false,
        tls_required: socket !== undefined && "encrypted" in socket,
        name: options.name,
        lang: "typescript",
        version: "1",
        protocol: 1,
        headers: true,
        no_responders: true,
        ...options.credentials.connectFields(nonce),
      };
      socket.write(`CONNECT ${JSON.stringify(connect)}\r\nPING\r\n`);
    };
    listen(socket);
  });
}
