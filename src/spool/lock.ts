import { Buffer } from "node:buffer";
import { link, mkdir, mkdtemp, readdir, rm, symlink, unlink } from "node:fs/promises";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";

/** Lock generations: `telnyx-relay.lock.<n>`, a Unix socket each. */
const GENERATION = /^telnyx-relay\.lock\.(\d{1,15})$/;
/** A socket bound before it is linked to its generation's name (see takeGeneration). */
const BINDING = /^telnyx-relay\.lock\.binding-\d+-\d+$/;
/** The pid file of versions before the socket lock: removed by the next holder. */
const LEGACY = "telnyx-relay.lock";
/**
 * The longest socket path bound or connected to directly. sun_path holds 108 bytes on Linux and
 * 104 on macOS, NUL included: a longer one is reached through a short symlink to the directory.
 */
const MAX_SOCKET_PATH_BYTES = 103;
/** How long a probe waits for a live holder to say its pid (one that is stopped never says it). */
const PROBE_TIMEOUT_MS = 1_000;
const GREETING = /^telnyx-relay (\d+)\n/;
/** Connect errors that prove nobody listens there (the file is gone, is not a socket, or its socket closed). */
const NOBODY = new Set(["ECONNREFUSED", "ENOENT", "ENOTSOCK"]);
/** Rounds of list → probe → bind before giving up: more than one only while other relays race for it. */
const MAX_ROUNDS = 8;

/**
 * Takes the spool directory for this process: two relays on one journal would each compact the
 * other's segments away and lose events.
 *
 * The lock is a listening Unix-domain socket in the directory. The kernel closes it when its
 * process dies, however it dies (`kill -9`, a crash, a zombie that nobody reaps: a process's files
 * are closed before it becomes one), so a connect to it is then refused and the next relay takes
 * over at once; a live holder accepts the connect and answers with its pid. No pid is trusted (pids
 * are reused, and a zombie keeps its own). A socket file rather than a Linux abstract socket:
 * abstract names belong to a network namespace, so two containers sharing the spool volume but not
 * a network would both get the lock; and they exist only on Linux.
 *
 * A dead socket's file stays behind, and deleting it by name is a race: a relay that found it dead
 * could delete the socket another relay has just bound there. So no lock name is ever bound twice:
 * generation n+1 takes over from a dead generation n, by an exclusive link, and then checks that
 * its own is the highest generation (see takeGeneration). Only names below a live holder's are
 * deleted, by that holder. The highest one stays after a stop (its socket closed, so stale).
 *
 * A path too long for a socket address (see MAX_SOCKET_PATH_BYTES) is bound and connected to
 * through a symlink with a short name in the OS temp directory, removed again once done.
 *
 * @param dir The spool directory (created if missing).
 * @returns A function that releases the lock (idempotent).
 * @throws {Error} When another live relay holds the directory ("… is in use by another
 *   telnyx-relay (pid N)"), or the socket cannot be bound.
 * @example
 * ```ts
 * const release = await lockSpool("/var/lib/telnyx-relay");
 * // … at shutdown:
 * await release();
 * ```
 */
export async function lockSpool(dir: string): Promise<() => Promise<void>> {
  await mkdir(dir, { recursive: true });
  const real = resolve(dir);
  const alias = Buffer.byteLength(join(real, "telnyx-relay.lock.binding-4194304-1000000000")) > MAX_SOCKET_PATH_BYTES ? await shortAlias(real) : undefined;
  const place: Place = { dir: real, address: alias ?? real };
  let mine: Taken | undefined;
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const top = highest(await readdir(real));
      if (mine !== undefined && top === mine.generation) {
        await removeBelow(place, mine.generation);
        return releaser(mine.server);
      }
      let target = 0;
      if (top !== undefined) {
        const holder = await probe(join(place.address, `telnyx-relay.lock.${top}`));
        if (holder.live) throw new Error(`spool directory ${dir} is in use by another telnyx-relay${holder.pid === undefined ? "" : ` (pid ${holder.pid})`}`);
        target = top + 1;
      }
      await mine?.close();
      mine = undefined;
      mine = await takeGeneration(place, target);
    }
    throw new Error(`spool directory ${dir}: could not take its lock (other relays kept racing for it)`);
  } catch (error) {
    await mine?.close();
    throw error;
  } finally {
    if (alias !== undefined) await rm(join(alias, ".."), { recursive: true, force: true });
  }
}

/** The directory, and the path to reach it by in a socket address (itself, or a short symlink to it). */
interface Place {
  readonly dir: string;
  readonly address: string;
}

/** A generation bound and linked by this process. */
interface Taken {
  readonly generation: number;
  readonly server: Server;
  close(): Promise<void>;
}

/** The highest lock generation in a directory listing. */
function highest(names: readonly string[]): number | undefined {
  let top: number | undefined;
  for (const name of names) {
    const match = GENERATION.exec(name);
    if (match) top = Math.max(top ?? 0, Number(match[1]));
  }
  return top;
}

let bindings = 0;

/**
 * Listens on a socket under a name of its own, then links it to generation `generation`'s name: the
 * link fails if that name exists, so of the relays that try one generation exactly one gets it.
 * (Binding the generation's name directly would do that too, but Node and Deno unlink a socket's
 * bound path when they close it, and a generation's name must outlive its holder: see lockSpool.)
 *
 * @returns The generation taken, or undefined when another relay has it.
 */
async function takeGeneration(place: Place, generation: number): Promise<Taken | undefined> {
  const binding = `telnyx-relay.lock.binding-${process.pid}-${bindings++}`;
  let server: Server;
  try {
    server = await listen(join(place.address, binding));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE") {
      // EACCES: not writable; EOPNOTSUPP and the like: a file system without Unix sockets (some network or VM shares).
      throw new Error(`spool directory ${place.dir}: cannot create its lock, a Unix socket: ${(error as Error).message}`);
    }
    // Left by a crashed process that had this pid: the name is this process's now.
    await unlink(join(place.dir, binding));
    server = await listen(join(place.address, binding));
  }
  const close = releaser(server);
  try {
    await link(join(place.dir, binding), join(place.dir, `telnyx-relay.lock.${generation}`));
  } catch (error) {
    await close();
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return undefined;
    throw error;
  } finally {
    await unlink(join(place.dir, binding)).catch(() => {});
  }
  return { generation, server, close };
}

/**
 * Deletes what the holder of `generation` no longer needs: lower generations (dead, or live
 * relays that lost the race and are closing theirs), dead binding sockets of relays that crashed
 * while taking the lock, and the pid file of an older version.
 */
async function removeBelow(place: Place, generation: number): Promise<void> {
  for (const name of await readdir(place.dir)) {
    const match = GENERATION.exec(name);
    const stale =
      (match !== null && Number(match[1]) < generation) || name === LEGACY || (BINDING.test(name) && !(await probe(join(place.address, name))).live);
    if (stale) await unlink(join(place.dir, name)).catch(() => {});
  }
}

/** The connections of probers each lock server is answering (closed with it, see releaser). */
const probers = new WeakMap<Server, Set<Socket>>();

/**
 * Binds and listens; each connect is answered with this process's pid, for the other relay's
 * message. A prober that does not close its end (a relay stopped, or hung, mid-probe) is cut off
 * after PROBE_TIMEOUT_MS, and at release (a server's close waits for its connections).
 */
async function listen(address: string): Promise<Server> {
  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
    socket.on("error", () => {});
    socket.setTimeout(PROBE_TIMEOUT_MS, () => socket.destroy());
    socket.end(`telnyx-relay ${process.pid}\n`);
  });
  probers.set(server, connections);
  await new Promise<void>((done, fail) => {
    server.once("error", fail);
    server.listen(address, () => {
      server.off("error", fail);
      done();
    });
  });
  // The lock never keeps a process alive on its own; its exit releases the lock anyway.
  server.unref();
  return server;
}

/** What a probe of a lock socket found. */
type Holder = { readonly live: true; readonly pid: number | undefined } | { readonly live: false };

/**
 * Connects to a lock socket. Accepted: a live holder (with its pid if it says it in time). Refused,
 * gone, or not a socket: dead. Any other error (EACCES: another user's relay?) proves nothing and
 * is thrown.
 */
function probe(address: string): Promise<Holder> {
  return new Promise((done, fail) => {
    let text = "";
    let failure: NodeJS.ErrnoException | undefined;
    let connected = false;
    const socket = createConnection(address);
    const timer = setTimeout(() => socket.destroy(), PROBE_TIMEOUT_MS);
    socket.setEncoding("utf8");
    socket.on("connect", () => {
      connected = true;
    });
    socket.on("data", (chunk: string) => {
      text += chunk;
    });
    socket.on("error", (error: NodeJS.ErrnoException) => {
      failure ??= error;
    });
    socket.on("close", () => {
      clearTimeout(timer);
      if (!connected && failure !== undefined) {
        if (NOBODY.has(failure.code ?? "")) done({ live: false });
        else fail(new Error(`spool directory lock ${address} cannot be checked: ${failure.message}`));
        return;
      }
      // Connected (or still connecting when the time ran out): someone holds it.
      const pid = GREETING.exec(text)?.[1];
      done({ live: true, pid: pid === undefined ? undefined : Number(pid) });
    });
  });
}

/**
 * The release function: closes the socket, and cuts off probers still connected (their relay may
 * be stopped: closing waits for every connection, so it would wait for as long as that one is).
 * Its generation's name stays, dead, for the next holder to step over.
 */
function releaser(server: Server): () => Promise<void> {
  let released: Promise<void> | undefined;
  return () => {
    released ??= new Promise((done) => {
      server.close(() => done());
      for (const socket of probers.get(server) ?? []) socket.destroy();
    });
    return released;
  };
}

/** A short symlink to `dir` in the OS temp directory, for socket paths that would be too long. */
async function shortAlias(dir: string): Promise<string> {
  const holder = await mkdtemp(join(tmpdir(), "trl-"));
  const link = join(holder, "d");
  try {
    await symlink(dir, link);
    if (Buffer.byteLength(join(link, "telnyx-relay.lock.binding-4194304-1000000000")) > MAX_SOCKET_PATH_BYTES) {
      throw new Error(`spool directory ${dir}: its path is too long for a socket, and so is the temp directory ${tmpdir()} it would be reached through`);
    }
  } catch (error) {
    await rm(holder, { recursive: true, force: true });
    throw error;
  }
  return link;
}
