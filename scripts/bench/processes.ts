// Child processes of the benchmark (tracked so that a failure or ^C leaves none behind), reading
// their output, stopping them, and the few plain HTTP requests it makes itself.
import { spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { Agent, request as httpRequest } from "node:http";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";

/** The path every server is POSTed on. */
export const WEBHOOK_PATH = "/webhooks/telnyx";

/** The benchmark's live children. */
export class Children {
  readonly #live = new Set<ChildProcess>();

  /**
   * Tracks a child until it exits.
   *
   * @param child Just spawned.
   * @returns The same child.
   */
  track(child: ChildProcess): ChildProcess {
    this.#live.add(child);
    child.once("exit", () => this.#live.delete(child));
    return child;
  }

  /** SIGKILLs every child still running. */
  killAll(): void {
    for (const child of this.#live) child.kill("SIGKILL");
  }
}

/**
 * Whether a command is on PATH.
 *
 * @param name The command.
 * @returns True if `command -v` finds it.
 * @example
 * ```ts
 * commandExists("wrk");
 * ```
 */
export function commandExists(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/**
 * The first line of a stream for which `pick` returns a value.
 *
 * @param stream A child's stdout or stderr.
 * @param pick Returns the value a line carries, or undefined.
 * @param timeoutMs How long to wait.
 * @param what Names the wait in the error.
 * @returns The value; rejects on timeout or end of the stream.
 * @example
 * ```ts
 * const port = await firstLine(child.stdout, portLine, 15_000, "baseline start-up");
 * ```
 */
export function firstLine<T>(stream: Readable, pick: (line: string) => T | undefined, timeoutMs: number, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: stream });
    const timer = setTimeout(() => {
      lines.close();
      reject(new Error(`${what}: nothing within ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    lines.on("line", (line) => {
      const value = pick(line);
      if (value !== undefined) {
        clearTimeout(timer);
        resolve(value); // before close(), whose 'close' event rejects (a no-op once resolved)
        lines.close();
      }
    });
    lines.on("close", () => {
      clearTimeout(timer);
      reject(new Error(`${what}: the stream ended`));
    });
  });
}

/**
 * The port of a `{"port":N}` line (what the helper servers print once listening).
 *
 * @param line One line of output.
 * @returns The port, or undefined for any other line.
 * @example
 * ```ts
 * portLine('{"port":41234}'); // 41234
 * ```
 */
export function portLine(line: string): number | undefined {
  try {
    const port = (JSON.parse(line) as { port?: unknown }).port;
    return typeof port === "number" ? port : undefined;
  } catch {
    return undefined;
  }
}

/**
 * SIGTERMs a child and waits for it; SIGKILL after `timeoutMs`.
 *
 * @param child The process.
 * @param timeoutMs Grace before SIGKILL.
 * @returns Its exit code; null if it had to be killed.
 * @example
 * ```ts
 * const code = await stopProcess(relay, 20_000);
 * ```
 */
export async function stopProcess(child: ChildProcess, timeoutMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
  const [code, signal] = await exited;
  clearTimeout(timer);
  return signal === "SIGKILL" ? null : code;
}

/** A POST's status and body text; status 0 if the request failed. */
export interface Answer {
  readonly status: number;
  readonly body: string;
}

/**
 * One form POST to the webhook path.
 *
 * @param port The server's port on 127.0.0.1.
 * @param headers The Telnyx headers (more may be added).
 * @param body The form body.
 * @param agent A keep-alive agent; without one, a fresh connection that is closed after.
 * @returns The answer.
 * @example
 * ```ts
 * const { status } = await post(port, signDelivery(key, body, now), body);
 * ```
 */
export function post(port: number, headers: Record<string, string>, body: string, agent?: Agent): Promise<Answer> {
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path: WEBHOOK_PATH,
        method: "POST",
        agent: agent ?? false,
        headers: { "content-type": "application/x-www-form-urlencoded", ...(agent ? {} : { connection: "close" }), ...headers },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        // A TeXML callback is answered with TeXML: the relay's status is in a header, put first.
        const relayStatus = res.headers["telnyx-relay-status"];
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: relayStatus === undefined ? text : `"${relayStatus}" ${text}` }));
      },
    );
    req.on("error", () => resolve({ status: 0, body: "" }));
    req.end(body);
  });
}

/**
 * A GET's body text.
 *
 * @param port The server's port on 127.0.0.1.
 * @param path The path.
 * @returns The text; rejects if the request fails.
 * @example
 * ```ts
 * const metrics = await getText(port, "/metrics");
 * ```
 */
export function getText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (text += chunk));
      res.on("end", () => resolve(text));
    });
    req.on("error", reject);
    req.end();
  });
}

/**
 * Waits.
 *
 * @param ms Milliseconds.
 * @returns Resolves after them.
 * @example
 * ```ts
 * await sleep(50);
 * ```
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
