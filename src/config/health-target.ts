// Where `telnyx-relay healthcheck` finds the relay: the port and host the same environment gives
// the relay, read with the option table's parser and default (not a second copy of them).
import type { Env } from "./env.ts";
import { OPTIONS, optionDefault } from "./options.ts";
import { fail, ok, type Parsed } from "./parsed.ts";

/** The address the health check asks. */
export interface HealthTarget {
  /** A host name or address, without brackets. */
  readonly host: string;
  readonly port: number;
}

// Listening on every interface: the relay is reached on loopback.
const WILDCARD_HOSTS: ReadonlySet<string> = new Set(["", "0.0.0.0", "::", "[::]"]);
const LOOPBACK = "127.0.0.1";

/**
 * The relay's address from `TELNYX_RELAY_PORT` (the relay's default when unset or empty) and
 * `TELNYX_RELAY_HOST` (127.0.0.1 when unset or a wildcard address).
 *
 * @param env The environment; only those two variables are read.
 * @returns The address, or why there is none to check (port 0, or not a port).
 * @example
 * ```ts
 * healthTarget({ TELNYX_RELAY_PORT: "9000" }); // { ok: true, value: { host: "127.0.0.1", port: 9000 } }
 * ```
 */
export function healthTarget(env: Env): Parsed<HealthTarget> {
  const portText = env[OPTIONS.port.env] ?? "";
  const parsed = portText === "" ? ok(optionDefault("port")) : OPTIONS.port.parse(portText);
  // Port 0 lets the relay pick one: there is nothing to check on "0".
  if (!parsed.ok || parsed.value === 0) return fail(`${OPTIONS.port.env}: ${JSON.stringify(portText)} is not a port to check (1-65535)`);
  const given = (env[OPTIONS.host.env] ?? "").trim();
  const host = WILDCARD_HOSTS.has(given) ? LOOPBACK : given.replace(/^\[(.*)\]$/, "$1");
  return ok({ host, port: parsed.value });
}
