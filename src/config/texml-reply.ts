import { checkTexmlReply, DEFAULT_TEXML_REPLY, TEXML_REPLY_MAX_BYTES } from "../events/texml-reply.ts";

/**
 * Reads `--texml-reply FILE` at start-up: the TeXML document TeXML callbacks are answered with.
 *
 * @param file The option's value (undefined: not given).
 * @param readFile Reads a file as text, given the most bytes it may hold (a regular file of at
 *   most {@link TEXML_REPLY_MAX_BYTES} of UTF-8, else it throws).
 * @param errors Where a problem is added (the file cannot be read, is not a regular file, is too
 *   large or not UTF-8, or is not TeXML).
 * @returns The document, or the default empty `<Response/>`.
 * @example
 * ```ts
 * const reply = loadTexmlReply("reply.xml", readTextFile, errors);
 * ```
 */
export function loadTexmlReply(file: string | undefined, readFile: (path: string, maxBytes: number) => string, errors: string[]): string {
  if (file === undefined) return DEFAULT_TEXML_REPLY;
  let text: string;
  try {
    text = readFile(file, TEXML_REPLY_MAX_BYTES);
  } catch (error) {
    errors.push(`--texml-reply (TELNYX_RELAY_TEXML_REPLY): ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    return DEFAULT_TEXML_REPLY;
  }
  const problem = checkTexmlReply(text);
  if (problem !== undefined) errors.push(`--texml-reply (TELNYX_RELAY_TEXML_REPLY): ${file} ${problem}: it must be a TeXML document`);
  return text;
}
