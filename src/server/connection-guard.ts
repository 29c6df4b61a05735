import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { setTimeout } from "node:timers";

/** What {@link guardConnections} needs. */
export interface ConnectionGuardOptions {
  /** The most connections held at once. */
  readonly maxConnections: number;
  /** How long a refused connection may stay open after its answer, for the client to read it. */
  readonly graceMs: number;
  /** Called when a connection was closed to admit a new one, or a new one was turned away. */
  readonly onCapReached: (outcome: "evicted" | "refused") => void;
}

/** The connections of one server, as {@link guardConnections} keeps them. */
export interface ConnectionGuard {
  /**
   * Answers a connection with raw HTTP text and closes it: after the answers to the requests it
   * already sent (HTTP/1.1 answers in request order), then destroys it after the grace even if the
   * client keeps its side open.
   *
   * @returns "new" for a refusal to log; "in-request" when the error cut short a request the handler
   *   is reading, which the handler logs itself; "repeated" when the connection was refused already.
   */
  refuse(socket: Socket, answer: string): Refusal;
}

/** What {@link ConnectionGuard.refuse} did: whether the refusal is news for the log. */
export type Refusal = "new" | "in-request" | "repeated";

interface Connection {
  /** Requests received on it and not yet answered, oldest first. */
  readonly open: IncomingMessage[];
  /** The refusal to write once `open` is empty; set once refused. */
  refusal: string | undefined;
  refused: boolean;
}

/**
 * Keeps a server's connections under a cap, fairly, and closes refused ones for sure.
 *
 * At the cap, a new connection is admitted by closing the *least recently active idle* one: a
 * connection with no request in flight, either still sending its headers (a slow or silent client)
 * or a keep-alive connection waiting for its next request. Only when every connection has a request
 * in flight is the new one turned away. So clients that open connections and send nothing, or send
 * headers a byte at a time, can no longer hold every slot until their header deadline: a Telnyx
 * delivery, whose headers arrive at once, still gets in, and the flood only pushes out its own kind.
 * A share per client address was not chosen: behind a proxy or a load balancer every connection
 * has the proxy's address, and one share would then lock out everyone at once.
 *
 * @param server The node:http server, before it listens (no `maxConnections` set on it: the guard
 *   must see a connection to close an older one for it).
 * @param options The cap, the grace and a hook for the log.
 * @returns The guard, through which the server's own refusals (parse errors, CONNECT) are written.
 * @example
 * ```ts
 * const guard = guardConnections(server, { maxConnections: 1024, graceMs: 1000, onCapReached: () => {} });
 * server.on("clientError", (error, socket) => guard.refuse(socket, "HTTP/1.1 400 Bad Request\r\n…"));
 * ```
 */
export function guardConnections(server: Server, options: ConnectionGuardOptions): ConnectionGuard {
  // One closure of ~85 lines on purpose: admission, eviction and the grace timers share the
  // ordered set of connections, which must not leak out of it.
  const { maxConnections, graceMs, onCapReached } = options;
  // Insertion order is the order of last activity: a connection moves to the end when it receives
  // a request and when it finishes answering one, so the first idle one found is the stalest.
  const connections = new Map<Socket, Connection>();

  const oldestIdle = (): Socket | undefined => {
    for (const [socket, connection] of connections) if (connection.open.length === 0) return socket;
    return undefined;
  };
  const touch = (socket: Socket, connection: Connection): void => {
    connections.delete(socket);
    connections.set(socket, connection);
  };
  const close = (socket: Socket, answer: string): void => {
    if (socket.writable && !socket.writableEnded) socket.end(answer);
    // A client that ignores our FIN would keep the connection open (node:http allows half-open
    // connections): after the grace it goes, answer read or not.
    const timer = setTimeout(() => socket.destroy(), graceMs);
    timer.unref();
    socket.once("close", () => clearTimeout(timer));
  };

  server.on("connection", (socket: Socket) => {
    if (connections.size >= maxConnections) {
      const idle = oldestIdle();
      if (idle === undefined) {
        onCapReached("refused");
        socket.destroy();
        return;
      }
      onCapReached("evicted");
      connections.delete(idle);
      idle.destroy();
    }
    connections.set(socket, { open: [], refusal: undefined, refused: false });
    socket.once("close", () => connections.delete(socket));
  });

  const received = (req: IncomingMessage, res: ServerResponse): void => {
    const socket = req.socket;
    const connection = connections.get(socket);
    if (connection === undefined) return;
    connection.open.push(req);
    touch(socket, connection);
    // "close" comes once the answer is complete, or the connection gone before it was.
    res.once("close", () => {
      const at = connection.open.indexOf(req);
      if (at !== -1) connection.open.splice(at, 1);
      if (connections.has(socket)) touch(socket, connection);
      if (connection.open.length === 0 && connection.refusal !== undefined) {
        const answer = connection.refusal;
        connection.refusal = undefined;
        close(socket, answer);
      }
    });
  };
  // Registered before the server's own handlers see the request (prepend): the handler may answer
  // synchronously, and the answer must find the request counted.
  server.prependListener("request", received);
  server.prependListener("checkContinue", received);

  return {
    refuse(socket, answer) {
      const connection = connections.get(socket);
      if (connection === undefined) {
        socket.destroy();
        return "new";
      }
      if (connection.refused) return "repeated";
      connection.refused = true;
      // Requests whose whole message arrived are being answered: the refusal comes after their
      // answers. A request still arriving when the parser failed (a body cut short) is the one
      // refused: answer now, as node:http's default does (only if no answer to it has begun); its
      // handler, whose body read fails with it, logs it.
      const arriving = connection.open.some((req) => !req.complete);
      if (!arriving && connection.open.length > 0) {
        connection.refusal = answer;
        return "new";
      }
      const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
      if (current?.headersSent) socket.destroy();
      else close(socket, answer);
      return arriving ? "in-request" : "new";
    },
  };
}
