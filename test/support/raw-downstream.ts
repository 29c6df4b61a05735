import { Buffer } from "node:buffer";
import { createServer, type AddressInfo, type Server, type Socket } from "node:net";

/** How the raw downstream answers one request. */
export type RawAnswer =
  /** `HTTP/1.1 200 OK`, `Content-Length: 100`, 5 body bytes, then a TCP reset (RST): a cut-off 2xx. */
  | "cut-off-200"
  /** A whole `200 OK` with a 2-byte body; the connection then closes. */
  | "ok";

/** A downstream written over node:net, to send what no well-behaved HTTP server would. */
export interface RawDownstream {
  readonly url: string;
  /** The `ce-id` of each request, in arrival order. */
  readonly received: string[];
  /** Replaces how it answers; `n` counts the requests for this id so far, from 0. */
  answer(respond: (id: string, n: number) => RawAnswer): void;
  close(): Promise<void>;
}

const HEADERS_END = "\r\n\r\n";

/**
 * Starts a raw TCP downstream on 127.0.0.1 that reads one HTTP request per connection (headers and
 * a Content-Length body) and answers as told.
 *
 * @returns The downstream, answering "ok" until told otherwise.
 */
export async function startRawDownstream(): Promise<RawDownstream> {
  const received: string[] = [];
  let respond: (id: string, n: number) => RawAnswer = () => "ok";
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf(HEADERS_END);
      if (end === -1) return;
      const head = buffered.subarray(0, end).toString("latin1");
      const length = Number(/\r\ncontent-length: *([0-9]+)/i.exec(head)?.[1] ?? "0");
      if (buffered.length < end + HEADERS_END.length + length) return;
      socket.removeAllListeners("data");
      const id = /\r\nce-id: *([^\r]*)/i.exec(head)?.[1] ?? "";
      const n = received.filter((seen) => seen === id).length;
      received.push(id);
      if (respond(id, n) === "ok") {
        socket.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
      } else {
        socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello", () => setImmediate(() => socket.resetAndDestroy()));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/events`,
    received,
    answer(next) {
      respond = next;
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
