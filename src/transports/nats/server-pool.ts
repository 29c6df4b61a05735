// The servers a NATS connection may use: the configured URLs, then those the cluster advertises
// (INFO's connect_urls), tried in turn; a server in lame-duck mode is skipped while another is known.

/** The servers to connect to, and the next one to try. */
export interface ServerPool {
  /** The next server to try (round robin, a lame duck skipped while another is known). */
  next(): URL;
  /** Adds the servers an INFO advertises, with the scheme of the server that sent it. */
  learn(info: Readonly<Record<string, unknown>>, from: URL): void;
  /** Marks a server as going away (lame-duck mode), or none. */
  avoid(host: string | undefined): void;
  /** How many servers were configured (the first pass tries each once). */
  readonly configured: number;
}

/**
 * Makes the pool.
 *
 * @param urls The configured servers (at least one).
 * @returns The pool.
 * @example
 * ```ts
 * const pool = createServerPool([new URL("nats://n1:4222")]);
 * pool.learn({ connect_urls: ["10.0.0.2:4222"] }, pool.next());
 * ```
 */
export function createServerPool(urls: readonly URL[]): ServerPool {
  const servers: URL[] = [...urls];
  const known = new Set(servers.map((url) => url.host));
  let cursor = 0;
  let lameDuck: string | undefined;
  return {
    configured: urls.length,
    next() {
      let url = servers[cursor++ % servers.length] as URL;
      if (url.host === lameDuck && servers.length > 1) url = servers[cursor++ % servers.length] as URL;
      return url;
    },
    learn(info, from) {
      const advertised = Array.isArray(info.connect_urls) ? info.connect_urls : [];
      for (const hostPort of advertised) {
        if (typeof hostPort !== "string" || known.has(hostPort)) continue;
        try {
          servers.push(new URL(`${from.protocol}//${hostPort}`));
          known.add(hostPort);
        } catch {
          // Not a host:port: ignored.
        }
      }
    },
    avoid(host) {
      lameDuck = host;
    },
  };
}
