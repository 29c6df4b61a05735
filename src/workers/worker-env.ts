/** The environment variable that tells a process it is worker `<index>` on `<port>`: "index:port". */
export const WORKER_ENV = "TELNYX_RELAY_WORKER";

/**
 * The worker index and port from {@link WORKER_ENV}, set only by the main process for the workers
 * it starts (src/workers/supervisor.ts).
 *
 * @param text The variable's value.
 * @returns The index and port, or undefined in the main process.
 * @example
 * ```ts
 * parseWorkerEnv("2:8080"); // { index: 2, port: 8080 }
 * ```
 */
export function parseWorkerEnv(text: string | undefined): { index: number; port: number } | undefined {
  const match = /^([0-9]{1,2}):([0-9]{1,5})$/.exec(text ?? "");
  return match === null ? undefined : { index: Number(match[1]), port: Number(match[2]) };
}
