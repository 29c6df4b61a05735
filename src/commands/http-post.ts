// The commands' one way out: a POST to an http(s) URL, the answer read whole. fetch is in Node,
// Deno and the single executable alike.

/** The answer to a POST. */
export interface PostAnswer {
  readonly status: number;
  readonly statusText: string;
  readonly body: string;
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
    return { status: response.status, statusText: response.statusText, body: await response.text() };
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(`cannot POST to ${url.href}: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
}
