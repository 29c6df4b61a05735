// Parsers of the NATS options' values. None of their messages quotes the text back: a URL or a
// token may be a credential.
import { fail, ok, type Parsed } from "./parsed.ts";

/**
 * Parses a comma-separated list of NATS server URLs (see {@link parseNatsUrl}).
 *
 * @param text One URL, or several separated by commas.
 * @returns The URLs, or what is wrong with the first bad one.
 * @example
 * ```ts
 * parseNatsUrls("nats://n1:4222,nats://n2:4222"); // { ok: true, value: [URL, URL] }
 * ```
 */
export function parseNatsUrls(text: string): Parsed<URL[]> {
  const urls: URL[] = [];
  for (const item of text.split(",")) {
    const parsed = parseNatsUrl(item);
    if (!parsed.ok) return parsed;
    urls.push(parsed.value);
  }
  return ok(urls);
}

/**
 * Parses one NATS server URL: `nats://host:port` or `tls://host:port` (TLS insisted on), port 4222
 * when left out, without credentials (they would be logged: use --nats-user/--nats-token/…).
 *
 * @param text The URL.
 * @returns The URL, or what is wrong.
 * @example
 * ```ts
 * parseNatsUrl("nats://127.0.0.1:4222"); // { ok: true, value: URL }
 * ```
 */
export function parseNatsUrl(text: string): Parsed<URL> {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    return fail("is not a URL (e.g. nats://127.0.0.1:4222)");
  }
  if (url.username || url.password) return fail("credentials in the URL would be logged; use --nats-user and --nats-password, --nats-token, --nats-nkey or --nats-creds");
  if (url.protocol !== "nats:" && url.protocol !== "tls:") return fail(`must be a nats:// or tls:// URL, not ${url.protocol}`);
  if (url.hostname === "") return fail("names no host");
  if ((url.pathname !== "" && url.pathname !== "/") || url.search !== "" || url.hash !== "") return fail("must be just nats://host:port");
  return ok(url);
}

/**
 * Parses the subject template: a NATS subject (dot-separated tokens, no spaces, no empty token, no
 * `*` or `>` wildcard) in which `{type}` stands for the event type (which may be several tokens).
 *
 * @param text The template.
 * @returns The template, or what is wrong.
 * @example
 * ```ts
 * parseSubjectTemplate("telnyx.{type}"); // { ok: true, value: "telnyx.{type}" }
 * parseSubjectTemplate("telnyx.>"); // { ok: false, … }
 * ```
 */
export function parseSubjectTemplate(text: string): Parsed<string> {
  const template = text.trim();
  const tokens = template.split("{type}").join("T").split(".");
  if (template === "") return fail("is empty");
  if (tokens.some((token) => token === "")) return fail(`${JSON.stringify(template)} has an empty token (two dots in a row, or a dot at either end)`);
  if (/\s/.test(template)) return fail(`${JSON.stringify(template)} holds whitespace, which NATS subjects cannot`);
  if (tokens.some((token) => token.includes("*") || token.includes(">"))) return fail(`${JSON.stringify(template)} holds * or >, NATS wildcards, which cannot be published to`);
  if (/[{}]/.test(template.split("{type}").join(""))) return fail(`${JSON.stringify(template)}: the only placeholder is {type}`);
  return ok(template);
}
