// `telnyx-relay healthcheck`: a container's HEALTHCHECK with no shell and no curl in the image. It
// asks the relay running next to it, configured by the same environment, for GET /healthz.
import { request } from "node:http";

/** The outcome of {@link checkHealth}: healthy or not, and a line saying what was seen. */
export interface HealthResult {
  readonly healthy: boolean;
  readonly message: string;
}

// Listening on every interface: the relay is reached on loopback.
const WILDCARD_HOSTS: ReadonlySet<string> = new Set(["", "0.0.0.0", "::", "[::]"]);

/**
 * GETs `/healthz` of the relay that the environment `env` configures: port `TELNYX_RELAY_PORT`
 * (default 8080) on `TELNYX_RELAY_HOST`, or on 127.0.0.1 when that is unset or a wildcard address.
 *
 * @param env The environment (only `TELNYX_RELAY_PORT` and `TELNYX_RELAY_HOST` are read).
 * @param timeoutMs How long to wait for the whole answer.
 * @returns Healthy when the answer is 200 within `timeoutMs`; never rejects.
 * @example
 * ```ts
 * const { healthy, message } = await checkHealth({ TELNYX_RELAY_PORT: "8080" }, 2000);
 * ```
 */
export function checkHealth(env: Readonly<Record<string, string | undefined>>, timeoutMs: number): Promise<HealthResult> {
  const portText = (env.TELNYX_RELAY_PORT ?? "").trim() || "8080";
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : 0;
  if (port < 1 || port > 65535) {
    return Promise.resolve({ healthy: false, message: `TELNYX_RELAY_PORT: "${portText}" is not a port to check (1-65535)` });
  }
  const given = (env.TELNYX_RELAY_HOST ?? "").trim();
  const host = WILDCARD_HOSTS.has(given) ? "127.0.0.1" : given.replace(/^\[(.*)\]$/, "$1");
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
