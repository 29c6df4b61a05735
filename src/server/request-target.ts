// "http://" or "https://" and the authority, in any letter case (RFC 9112 §3.2.2: the absolute form,
// which proxies send and servers must accept).
const ABSOLUTE_FORM = /^https?:\/\/[^/?#]*/i;

/**
 * The path of a request target, without its query: `/webhooks/telnyx?x=1` and the absolute form
 * `http://relay.example/webhooks/telnyx?x=1` both give `/webhooks/telnyx`. The authority of an
 * absolute form is not checked against anything (the relay answers for any Host); an absolute form
 * with no path is `/`.
 *
 * @param target `req.url` as node:http gives it (origin, absolute, authority or asterisk form).
 * @returns The path, to be compared as is.
 * @example
 * ```ts
 * pathOf("http://relay.example:8080/webhooks/telnyx?source=telnyx"); // "/webhooks/telnyx"
 * ```
 */
export function pathOf(target: string): string {
  let start = 0;
  if (target.charCodeAt(0) !== 0x2f /* "/" */) {
    const absolute = ABSOLUTE_FORM.exec(target);
    if (absolute !== null) {
      start = absolute[0].length;
      if (start === target.length || target[start] === "?") return "/";
    }
  }
  const query = target.indexOf("?", start);
  return target.slice(start, query === -1 ? undefined : query);
}
