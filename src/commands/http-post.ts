// The commands' one way out: a POST to an http(s) URL, the answer read whole. fetch is in Node,
// Deno and the single executable alike.

/** The answer to a POST. */
export interface PostAnswer {
  readonly status: number;
  readonly statusText: string;
  /** A relay's `Telnyx-Relay-Status` and `Telnyx-Relay-Event-Id` (a TeXML callback's answer is a TeXML document), as `Name: value` lines. */
  readonly relayHeaders: readonly string[];
  readonly body: string;
}

/**
 * The URL a delivery of a TeXML kind goes to: `<url>/texml/<kind>`, the relay's per-kind path below
 * its webhook path (unless `url` already names a per-kind path).
 *
 * @param url The relay's webhook URL (its `--path`).
 * @param kind The TeXML kind, or undefined: `url` itself.
 * @returns The URL to POST to.
 * @example
 * ```ts
 * kindUrl(new URL("http://127.0.0.1:8080/webhooks/telnyx"), "http-request").pathname; // "/webhooks/telnyx/texml/http-request"
 * ```
 */
export function kindUrl(url: URL, kind: string | undefined): URL {
  if (kind === undefined || url.pathname.includes("/texml/")) return url;
  const target = new URL(url.href);
  target.pathname = `${url.pathname.replace(/\/+$/, "")}/texml/${kind}`;
  return target;
}

/**
 * Parses a target URL given to a command: http or https only.
 *
 * @param option The option's name, for the message.
 * @param text The URL.
 * @returns The URL, or a one-line problem.
 * @example
 * ```ts
 * targetUrl("--to", "http://127.0.0.1:8080/webhooks/telnyx"); // URL
 * ```
 */
export function targetUrl(option: string, text: string): URL | string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${option}: ${JSON.stringify(text)} is not a URL`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return `${option}: only http:// and https:// URLs (got ${url.protocol})`;
  return url;
}

/**
 * POSTs a body and reads the whole answer (no redirect is followed: Telnyx follows none either).
 *
 * @param url The target.
 * @param headers The request headers, Content-Type among them.
 * @param body The body.
 * @returns The status and the body of the answer.
 * @throws {Error} When the target cannot be reached (its cause in the message).
 * @example
 * ```ts
 * const answer = await post(url, { "content-type": "application/x-www-form-urlencoded", ...signed }, body);
 * ```
 */
export async function post(url: URL, headers: Readonly<Record<string, string>>, body: string | Uint8Array): Promise<PostAnswer> {
  try {
    const response = await fetch(url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(30_000) });
    const relayHeaders = ["Telnyx-Relay-Status", "Telnyx-Relay-Event-Id"].flatMap((name) => {
      const value = response.headers.get(name);
      return value === null ? [] : [`${name}: ${value}`];
    });
    return { status: response.status, statusText: response.statusText, relayHeaders, body: await response.text() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot POST to ${url.href}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
}

/**
 * An answer as `send` prints it: the status line, a relay's outcome headers, then the body.
 *
 * @param answer The answer.
 * @returns The text, ending with a newline.
 * @example
 * ```ts
 * formatAnswer({ status: 200, statusText: "OK", relayHeaders: [], body: '{"status":"accepted","id":"…"}' }); // "HTTP 200 OK\n{…}\n"
 * ```
 */
export function formatAnswer(answer: PostAnswer): string {
  const lines = [`HTTP ${answer.status} ${answer.statusText}`, ...answer.relayHeaders];
  if (answer.body !== "") lines.push(answer.body.endsWith("\n") ? answer.body.slice(0, -1) : answer.body);
  return `${lines.join("\n")}\n`;
}
