/**
 * The NATS client protocol, server to client: bytes in (split or coalesced across reads however
 * the network likes), whole operations out. Pure: no sockets here.
 *
 * Operations: `INFO {json}`, `MSG <subject> <sid> [reply] <#bytes>`, `HMSG <subject> <sid> [reply]
 * <#header bytes> <#total bytes>`, `PING`, `PONG`, `+OK`, `-ERR '<text>'`, each ending in CRLF; a
 * message's payload follows its control line and ends in CRLF too.
 * (https://docs.nats.io/reference/reference-protocols/nats-protocol)
 *
 * @module
 */
import { Buffer } from "node:buffer";

/** A message delivered on a subscription (MSG or HMSG). */
export interface NatsMessage {
  readonly subject: string;
  readonly sid: string;
  readonly replyTo: string | undefined;
  /** The raw header block (`NATS/1.0 …\r\n…\r\n\r\n`) of an HMSG; undefined for a MSG. */
  readonly headers: Buffer | undefined;
  readonly payload: Buffer;
}

/** One operation from the server. */
export type NatsOp =
  | { readonly op: "info"; readonly info: Readonly<Record<string, unknown>> }
  | { readonly op: "msg"; readonly message: NatsMessage }
  | { readonly op: "ping" }
  | { readonly op: "pong" }
  | { readonly op: "ok" }
  | { readonly op: "err"; readonly text: string };

/** A parser of one connection's byte stream. */
export interface NatsParser {
  /**
   * Takes the next bytes read from the connection.
   *
   * @returns The operations completed by these bytes, in order (none while a frame is incomplete).
   * @throws {SyntaxError} When the bytes are not the NATS protocol (the connection must be dropped).
   */
  push(chunk: Uint8Array): NatsOp[];
}

const CRLF = Buffer.from("\r\n");
// INFO carries the cluster's connect_urls; anything longer than this is not a NATS server.
const MAX_CONTROL_LINE = 1 << 20;
// The largest max_payload a server may set is 64 MiB.
const MAX_MESSAGE = 64 << 20;

/**
 * Makes a parser for one connection (a new connection needs a new parser).
 *
 * @returns The parser.
 * @example
 * ```ts
 * const parser = createNatsParser();
 * socket.on("data", (chunk) => { for (const op of parser.push(chunk)) handle(op); });
 * ```
 */
export function createNatsParser(): NatsParser {
  let pending: Buffer = Buffer.alloc(0);

  function push(chunk: Uint8Array): NatsOp[] {
    pending = pending.length === 0 ? Buffer.from(chunk) : Buffer.concat([pending, chunk]);
    const ops: NatsOp[] = [];
    let start = 0;
    for (;;) {
      const end = pending.indexOf(CRLF, start);
      if (end === -1) {
        if (pending.length - start > MAX_CONTROL_LINE) throw new SyntaxError("NATS protocol: control line too long");
        break;
      }
      const line = pending.toString("latin1", start, end);
      const frame = parseLine(line);
      if (frame.kind === "op") {
        ops.push(frame.op);
        start = end + 2;
        continue;
      }
      // MSG/HMSG: the payload (and its CRLF) must be here whole.
      const bodyStart = end + 2;
      if (pending.length < bodyStart + frame.total + 2) break;
      if (pending[bodyStart + frame.total] !== 13 || pending[bodyStart + frame.total + 1] !== 10) {
        throw new SyntaxError("NATS protocol: a message's payload does not end in CRLF");
      }
      const body = Buffer.from(pending.subarray(bodyStart, bodyStart + frame.total));
      const headers = frame.headerBytes === undefined ? undefined : body.subarray(0, frame.headerBytes);
      const payload = frame.headerBytes === undefined ? body : body.subarray(frame.headerBytes);
      ops.push({ op: "msg", message: { subject: frame.subject, sid: frame.sid, replyTo: frame.replyTo, headers, payload } });
      start = bodyStart + frame.total + 2;
    }
    pending = start === pending.length ? Buffer.alloc(0) : pending.subarray(start);
    return ops;
  }

  return { push };
}

type Frame =
  | { readonly kind: "op"; readonly op: NatsOp }
  | { readonly kind: "msg"; readonly subject: string; readonly sid: string; readonly replyTo: string | undefined; readonly headerBytes: number | undefined; readonly total: number };

/** One control line (without its CRLF): an operation, or the head of a message. */
function parseLine(line: string): Frame {
  const space = line.search(/[ \t]/);
  const verb = (space === -1 ? line : line.slice(0, space)).toUpperCase();
  const rest = space === -1 ? "" : line.slice(space + 1).trim();
  switch (verb) {
    case "PING":
      return { kind: "op", op: { op: "ping" } };
    case "PONG":
      return { kind: "op", op: { op: "pong" } };
    case "+OK":
      return { kind: "op", op: { op: "ok" } };
    case "-ERR":
      return { kind: "op", op: { op: "err", text: rest.replace(/^'(.*)'$/, "$1") } };
    case "INFO": {
      let info: unknown;
      try {
        info = JSON.parse(rest);
      } catch {
        throw new SyntaxError("NATS protocol: INFO is not JSON");
      }
      if (typeof info !== "object" || info === null || Array.isArray(info)) throw new SyntaxError("NATS protocol: INFO is not a JSON object");
      return { kind: "op", op: { op: "info", info: info as Record<string, unknown> } };
    }
    case "MSG":
    case "HMSG":
      return parseMessageHead(verb, rest.split(/[ \t]+/));
    default:
      throw new SyntaxError(`NATS protocol: unknown operation ${JSON.stringify(verb.slice(0, 16))}`);
  }
}

function parseMessageHead(verb: "MSG" | "HMSG", args: string[]): Frame {
  const sizes = verb === "MSG" ? 1 : 2;
  if (args.length !== 2 + sizes && args.length !== 3 + sizes) throw new SyntaxError(`NATS protocol: ${verb} with ${args.length} arguments`);
  const numbers = args.slice(-sizes).map(count);
  const total = numbers[numbers.length - 1] as number;
  const headerBytes = verb === "HMSG" ? (numbers[0] as number) : undefined;
  if (headerBytes !== undefined && headerBytes > total) throw new SyntaxError("NATS protocol: HMSG headers longer than the message");
  return { kind: "msg", subject: args[0] as string, sid: args[1] as string, replyTo: args.length === 3 + sizes ? args[2] : undefined, headerBytes, total };
}

function count(text: string): number {
  if (!/^[0-9]{1,9}$/.test(text) || Number(text) > MAX_MESSAGE) throw new SyntaxError("NATS protocol: a message size is not a number");
  return Number(text);
}

/** A header block, read: the status line's code and text, and the headers. */
export interface NatsHeaders {
  /** The status code of `NATS/1.0 503`, or undefined when the line has none. */
  readonly status: number | undefined;
  readonly description: string;
  /** Header values by lower-cased name (the first of a repeated name). */
  readonly values: ReadonlyMap<string, string>;
}

/**
 * Reads an HMSG's header block.
 *
 * @param block The raw block (`NATS/1.0 503\r\n\r\n`, or with `Name: value` lines).
 * @returns The status and the headers.
 * @throws {SyntaxError} When the block does not start with `NATS/1.0`.
 * @example
 * ```ts
 * parseNatsHeaders(Buffer.from("NATS/1.0 503\r\n\r\n")).status; // 503
 * ```
 */
export function parseNatsHeaders(block: Uint8Array): NatsHeaders {
  const lines = Buffer.from(block).toString("utf8").split("\r\n");
  const first = /^NATS\/1\.0(?: ([0-9]{3}))?(?: (.*))?$/.exec(lines[0] ?? "");
  if (first === null) throw new SyntaxError("NATS protocol: a header block does not start with NATS/1.0");
  const values = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!values.has(name)) values.set(name, line.slice(colon + 1).trim());
  }
  return { status: first[1] === undefined ? undefined : Number(first[1]), description: first[2] ?? "", values };
}
