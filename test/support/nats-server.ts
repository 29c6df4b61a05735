// Real nats-server processes for the NATS tests: one node or a 3-node JetStream cluster on loopback
// ports, file storage in a temp dir, stopped by the test (and killed when the test process exits).
// Where nats-server is missing the tests skip, naming it; with CI=true they fail instead.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline";
import { freePort } from "./downstream.ts";

const SEARCH = [...(process.env.PATH ?? "").split(":"), "/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/usr/bin"];

/** The nats-server binary, or undefined when there is none. */
export const NATS_SERVER: string | undefined = SEARCH.filter((dir) => dir !== "").map((dir) => join(dir, "nats-server")).find((path) => existsSync(path));

/**
 * The `skip` option of a NATS test: false when nats-server is here; else a message naming it.
 * With CI=true a missing nats-server is an error: CI must prove these tests.
 */
export function natsSkip(): string | false {
  if (NATS_SERVER !== undefined) return false;
  if (process.env.CI === "true") throw new Error("nats-server is not installed, and CI=true: the NATS tests must run in CI (apt-get install nats-server)");
  return "nats-server is not installed (Debian: apt-get install nats-server): NATS tests skipped";
}

const running = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** One nats-server node. */
export interface NatsNode {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  /** Running now. */
  alive(): boolean;
}

/** A set of nats-server nodes (one, or a JetStream cluster). */
export interface NatsCluster {
  readonly nodes: readonly NatsNode[];
  /** Every node's client URL. */
  readonly urls: readonly string[];
  /** kill -9 of a node. */
  kill(name: string): Promise<void>;
  /** Sends a signal to a node (SIGUSR2: lame-duck mode). */
  signal(name: string, signal: NodeJS.Signals): void;
  /** Starts a stopped node again (same ports, same storage). */
  restart(name: string): Promise<void>;
  /** Stops every node (SIGKILL: the storage is thrown away with the temp dir). */
  stop(): Promise<void>;
}

/** Options of {@link startNats}. */
export interface StartNatsOptions {
  /** Where the config and storage go (a temp dir of the test). */
  readonly dir: string;
  /** 1: a single JetStream server; 3: a cluster. */
  readonly nodes: 1 | 3;
  /** More top-level config (authorization, tls, max_payload…), the same on every node. */
  readonly extra?: string;
}

/**
 * Starts nats-server nodes with JetStream and waits until each says it is ready for connections.
 *
 * @param options The dir, the number of nodes, extra config.
 * @returns The cluster.
 */
export async function startNats(options: StartNatsOptions): Promise<NatsCluster> {
  const names = options.nodes === 1 ? ["n1"] : ["n1", "n2", "n3"];
  const ports = await Promise.all(names.map(() => freePort()));
  const routes = await Promise.all(names.map(() => freePort()));
  const processes = new Map<string, ChildProcess>();
  const configs = new Map<string, string>();
  names.forEach((name, i) => {
    const store = join(options.dir, name);
    mkdirSync(store, { recursive: true });
    const cluster =
      options.nodes === 1
        ? ""
        : `cluster {\n  name: "relay-test"\n  listen: "127.0.0.1:${routes[i]}"\n  routes: [${routes.map((port) => `"nats-route://127.0.0.1:${port}"`).join(", ")}]\n}\n`;
    const text = `server_name: "${name}"\nlisten: "127.0.0.1:${ports[i]}"\njetstream {\n  store_dir: "${store}"\n  max_memory_store: 64MB\n  max_file_store: 1GB\n}\n${cluster}${options.extra ?? ""}\n`;
    const file = join(options.dir, `${name}.conf`);
    writeFileSync(file, text);
    configs.set(name, file);
  });

  async function launch(name: string): Promise<void> {
    const child = spawn(NATS_SERVER as string, ["-c", configs.get(name) as string], { stdio: ["ignore", "ignore", "pipe"] });
    running.add(child);
    processes.set(name, child);
    child.once("exit", () => running.delete(child));
    const log: string[] = [];
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nats-server ${name} not ready within 20 s: ${log.join("\n")}`)), 20_000);
      createInterface({ input: child.stderr! }).on("line", (line) => {
        log.push(line);
        if (line.includes("Server is ready")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`nats-server ${name} exited with ${code}: ${log.join("\n")}`));
      });
    });
  }

  await Promise.all(names.map(launch));
  const nodes = names.map((name, i) => ({
    name,
    port: ports[i] as number,
    url: `nats://127.0.0.1:${ports[i]}`,
    alive: () => {
      const child = processes.get(name);
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
  }));
  const kill = async (name: string): Promise<void> => {
    const child = processes.get(name);
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    child.kill("SIGKILL");
    await exited;
  };
  return {
    nodes,
    urls: nodes.map((node) => node.url),
    kill,
    signal: (name, signal) => void processes.get(name)?.kill(signal),
    restart: launch,
    stop: async () => {
      await Promise.all(names.map(kill));
    },
  };
}
