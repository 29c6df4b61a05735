// `telnyx-relay healthcheck`: a container's HEALTHCHECK with no shell and no curl in the image. It
// asks the relay running next to it (its address read from the same environment by
// src/config/health-target.ts) for GET /healthz.
import { request } from "node:http";

/** The outcome of {@link checkHealth}: healthy or not, and a line saying what was seen. */
export interface HealthResult {
  readonly healthy: boolean;
  readonly message: string;
}

/** The address to ask (see `healthTarget` in src/config/health-target.ts). */
export interface HealthCheckTarget {
  /** A host name or address, without brackets. */
  readonly host: string;
  readonly port: number;
}

/**
 * GETs `/healthz` of the relay at `target`.
 *
 * @param target The relay's address.
 * @param timeoutMs How long to wait for the whole answer.
 * @returns Healthy when the answer is 200 within `timeoutMs`; never rejects.
 * @example
 * ```ts
 * const { healthy, message } = await checkHealth({ host: "127.0.0.1", port: 8080 }, 2000);
 * ```
 */
export function checkHealth(target: HealthCheckTarget, timeoutMs: number): Promise<HealthResult> {
  const { host, port } = target;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}/healthz`;

  return new Promise((resolve) => {
    const req = request({ host, port, path: "/healthz", method: "GET", agent: false, timeout: timeoutMs }, (response) => {
      response.resume();
      response.on("end", () => {
        const healthy = response.statusCode === 200;
        resolve({ healthy, message: `${url} answered ${response.statusCode}` });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on("error", (error: NodeJS.ErrnoException) => resolve({ healthy: false, message: `${url}: ${error.code ?? error.message}` }));
    req.end();
  });
}
