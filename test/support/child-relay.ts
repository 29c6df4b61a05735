import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/**
 * How to start the relay: `node src/main.ts` with this process's runtime, or the program named by
 * TELNYX_RELAY_BIN (for running the same end-to-end tests against a built executable).
 */
export function relayCommand(): { command: string; args: string[] } {
  const bin = process.env.TELNYX_RELAY_BIN;
  if (bin) return { command: bin, args: [] };
  return { command: process.execPath, args: [`${ROOT}src/main.ts`] };
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
}

/**
 * Starts the relay in a child process on an ephemeral loopback port and waits for its `listening`
 * log line (which must be the first log line).
 */
export async function startChildRelay(options: ChildRelayOptions = {}): Promise<ChildRelay> {
  const { command, args } = relayCommand();
  const child = spawn(command, [...args, "--host", "127.0.0.1", "--port", "0", ...(options.args ?? [])], {
    cwd: options.cwd ?? ROOT,
    env: { PATH: process.env.PATH ?? "", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = once(child, "exit").then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null }));
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
      if (logs.length === 1) {
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
    waitForLine(predicate) {
      const found = lines.find(predicate);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
  };
}

/** Runs the relay to completion with these arguments and returns its exit status and output. */
export async function runRelay(argv: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const { command, args } = relayCommand();
  const child = spawn(command, [...args, ...argv], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const [code] = (await once(child, "close")) as [number | null];
  return { code, stdout, stderr };
}
