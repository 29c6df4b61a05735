import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { isDeno } from "./runtime.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

// A failed test must not leave a relay running (it would keep the test file, and CI, waiting).
const children = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

/**
 * How to start the relay, and the PATH it gets (its whole environment is that PATH plus what a
 * test passes):
 * - TELNYX_RELAY_BIN set: that program (a built single executable, `npm run test:bin`), with a PATH
 *   of one empty directory, so no `node` can be found (the system's is /usr/bin/node);
 * - under Deno: `deno run` with the permissions of deno.json's `start` task, plus reading and
 *   writing the temporary directory where tests keep key files, dead letters and spools;
 * - else `node src/main.ts` with this process's Node.
 */
export function relayCommand(): { command: string; args: string[]; path: string } {
  const bin = process.env.TELNYX_RELAY_BIN;
  if (bin) {
    const empty = join(tmpdir(), "telnyx-relay-path-without-node");
    mkdirSync(empty, { recursive: true });
    return { command: resolve(bin), args: [], path: empty };
  }
  if (isDeno) return { command: process.execPath, args: ["run", ...denoPermissions(), `${ROOT}src/main.ts`], path: process.env.PATH ?? "" };
  return { command: process.execPath, args: [`${ROOT}src/main.ts`], path: process.env.PATH ?? "" };
}

/** deno.json's `start` task's --allow-* flags (paths made absolute), with the temp dir added for reading and writing. */
function denoPermissions(): string[] {
  const task = (JSON.parse(readFileSync(`${ROOT}deno.json`, "utf8")) as { tasks: { start: string } }).tasks.start;
  const flags = task.split(/\s+/).filter((word) => word.startsWith("--allow-"));
  const paths = (flag: string): string[] => {
    const given = flags.find((word) => word.startsWith(`--allow-${flag}=`));
    return [...(given?.slice(`--allow-${flag}=`.length).split(",").map((path) => resolve(ROOT, path)) ?? []), tmpdir()];
  };
  const rest = flags.filter((word) => !/^--allow-(read|write)=/.test(word));
  return [...rest, `--allow-read=${paths("read").join(",")}`, `--allow-write=${paths("write").join(",")}`];
}

/** A relay running as a child process. */
export interface ChildRelay {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** stdout lines so far (only when stdout is read). */
  readonly lines: string[];
  /** stderr log entries so far. */
  readonly logs: Array<Record<string, unknown>>;
  /** Raw stderr lines that were not JSON. */
  readonly stderrText: string[];
  /** Resolves when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once the process has exited and its stdout and stderr are closed: all it wrote has been read. */
  readonly closed: Promise<void>;
  /** Resolves once a stdout line satisfying `predicate` has arrived. */
  waitForLine(predicate: (line: string) => boolean): Promise<string>;
}

/** Options of {@link startChildRelay}. */
export interface ChildRelayOptions {
  /** Extra arguments after the defaults (--host 127.0.0.1 --port 0). */
  readonly args?: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** false: stdout is a pipe nobody reads (a blocked consumer). Default true. */
  readonly readStdout?: boolean;
  readonly cwd?: string;
  /** Another way to start the same program (e.g. the binary by a relative path), instead of {@link relayCommand}'s. */
  readonly command?: { readonly command: string; readonly args: readonly string[] };
}

/**
 * Starts the relay in a child process on an ephemeral loopback port and waits for its `listening`
 * log line (which must be the first log line, but for the workers' own `worker listening` lines).
 */
export async function startChildRelay(options: ChildRelayOptions = {}): Promise<ChildRelay> {
  const { path, ...standard } = relayCommand();
  const { command, args } = options.command ?? standard;
  const child = spawn(command, [...args, "--host", "127.0.0.1", "--port", "0", ...(options.args ?? [])], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: path, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  if (isDeno) {
    // Deno 2.9's ChildProcess.kill() makes 'exit' report the signal it sent, even when the child
    // handled it and exited 0; process.kill() leaves the real exit status to be reported.
    child.kill = (signal?: NodeJS.Signals | number): boolean => {
      try {
        return process.kill(child.pid as number, signal ?? "SIGTERM");
      } catch {
        return false;
      }
    };
  }
  const exited = once(child, "exit").then(([code, signal]) => {
    children.delete(child);
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  const closed = once(child, "close").then(() => {});
  const lines: string[] = [];
  const logs: Array<Record<string, unknown>> = [];
  const stderrText: string[] = [];
  const waiters: Array<{ predicate: (line: string) => boolean; resolve: (line: string) => void }> = [];

  if (options.readStdout ?? true) {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    });
  }
  const port = await new Promise<number>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on("line", (line) => {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        stderrText.push(line);
        return;
      }
      logs.push(entry);
      // With --workers, the workers say "worker listening" first; the main process's line comes once all do.
      if (logs.filter((seen) => seen.message !== "worker listening").length === 1 && entry.message !== "worker listening") {
        if (entry.message === "listening" && typeof entry.port === "number") resolve(entry.port);
        else reject(new Error(`the first log line is not 'listening': ${line}`));
      }
    });
    void exited.then(({ code }) => reject(new Error(`the relay exited with ${code} before listening: ${stderrText.join("\n")}`)));
  });
  return {
    child,
    port,
    url: `http://127.0.0.1:${port}/webhooks/telnyx`,
    lines,
    logs,
    stderrText,
    exited,
    closed,
    waitForLine(predicate) {
      const found = lines.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
  };
}

/** Runs the relay to completion with these arguments and returns its exit status and output. */
export async function runRelay(argv: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { command, args, path } = relayCommand();
  const child = spawn(command, [...args, ...argv], { cwd: ROOT, env: { PATH: path, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr };
}
