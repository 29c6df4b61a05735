// What the relay answers a TeXML callback with. Telnyx reads the answer to some callbacks (the
// `<Gather>`, `<AIGather>`, `<HttpRequest>`, `<Refer>` and `<Dial>` action URLs, the `<Enqueue>`
// waitUrl) as TeXML to continue the call, so every 200 to a TeXML callback is a TeXML document.

/** The default answer: an empty `<Response/>` (the call goes on with its own next verb, or ends). */
export const DEFAULT_TEXML_REPLY = '<?xml version="1.0" encoding="UTF-8"?>\n<Response/>\n';

/**
 * The largest `--texml-reply` document: 64 KiB, as for an answer passed back from a downstream
 * (the HTTP transport's `MAX_REPLY_BYTES`).
 */
export const TEXML_REPLY_MAX_BYTES = 64 * 1024;

/** The Content-Type of a TeXML answer. */
export const TEXML_CONTENT_TYPE = "application/xml";

/**
 * Checks a user's TeXML answer (`--texml-reply FILE`) well enough to start with: after optional
 * white space and a byte-order mark it begins with `<?xml` or `<Response`. Not an XML parser: the
 * point is to catch a wrong file (JSON, an empty one) at start-up, not at the first call.
 *
 * @param text The file's text.
 * @returns undefined when it will do, else what is wrong.
 * @example
 * ```ts
 * checkTexmlReply("<Response><Hangup/></Response>"); // undefined
 * checkTexmlReply("{}");                             // "does not start with <?xml or <Response"
 * ```
 */
export function checkTexmlReply(text: string): string | undefined {
  const start = text.replace(/^\uFEFF?\s*/, "");
  if (start === "") return "is empty";
  return start.startsWith("<?xml") || start.startsWith("<Response") ? undefined : "does not start with <?xml or <Response";
}
