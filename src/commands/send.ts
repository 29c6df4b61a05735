// `telnyx-relay send <type> --to URL --private-key FILE [--set NAME=VALUE …] [--body FILE]`: plays
// Telnyx. Signs an example delivery of any registered event type (src/events/examples.ts), or a
// given body, as Telnyx does (Ed25519 over `telnyx-timestamp|raw body`), POSTs it and prints the
// answer. `send --list` lists the types.
import { Buffer } from "node:buffer";
import { signDelivery } from "../crypto/sign.ts";
import { EXAMPLES, type ExampleDelivery } from "../events/examples.ts";
import type { CommandIo } from "./command-io.ts";
import { parseCommandArgs, single } from "./command-args.ts";
import { editBody } from "./edit-body.ts";
import { formatAnswer, kindUrl, post, targetUrl } from "./http-post.ts";
import { loadPrivateKey } from "./private-key.ts";

const TYPE_PREFIX = "com.telnyx.";

/**
 * Finds the example of an event type by its CloudEvents type, with or without `com.telnyx.`.
 *
 * @param name The type as the user wrote it.
 * @param examples The examples (the registry's by default).
 * @returns The example, or undefined.
 * @example
 * ```ts
 * findExample("texml.refer.status")?.type; // "com.telnyx.texml.refer.status"
 * ```
 */
export function findExample(name: string, examples: readonly ExampleDelivery[] = EXAMPLES): ExampleDelivery | undefined {
  return examples.find((example) => example.type === name || example.type === TYPE_PREFIX + name);
}

/**
 * The `--list` text: every registered type with its Content-Type, one a line.
 *
 * @param examples The examples (the registry's by default).
 * @returns The text.
 * @example
 * ```ts
 * listTypes(); // "com.telnyx.texml.refer.status  application/x-www-form-urlencoded\n…"
 * ```
 */
export function listTypes(examples: readonly ExampleDelivery[] = EXAMPLES): string {
  const width = Math.max(...examples.map((example) => example.type.length));
  return examples.map((example) => `${example.type.padEnd(width)}  ${example.contentType}\n`).join("");
}

/**
 * Runs `send`.
 *
 * @param args The arguments after `send`.
 * @param io Output, files, clock.
 * @returns 0 when the target answered 2xx, 1 for another answer or none, 2 for a usage error.
 * @example
 * ```ts
 * await send(["texml.refer.status", "--to", url, "--private-key", "key.pem"], io);
 * ```
 */
export async function send(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(args, { valued: new Set(["to", "private-key", "set", "body"]), switches: new Map([["list", undefined]]) });
  if (!parsed.ok) return io.usage(`send: ${parsed.message}`);
  const { argv, positionals } = parsed;
  if (argv.switches.has("list")) {
    io.stdout(listTypes());
    return 0;
  }
  if (positionals.length !== 1) return io.usage("send: give one event type (send --list shows them)");
  const example = findExample(positionals[0] as string);
  if (example === undefined) return io.usage(`send: no event type ${JSON.stringify(positionals[0])} (send --list shows them)`);
  const to = single(argv, "to");
  const keyPath = single(argv, "private-key");
  if (to === undefined || keyPath === undefined) return io.usage("send: --to URL and --private-key FILE are required");
  const url = targetUrl("--to", to);
  if (typeof url === "string") return io.usage(`send: ${url}`);

  let key, original: string | Buffer;
  try {
    key = loadPrivateKey(io.readFile(keyPath));
    const bodyPath = single(argv, "body");
    original = bodyPath === undefined ? example.body : io.readFile(bodyPath);
  } catch (error) {
    return io.usage(`send: cannot read ${(error as NodeJS.ErrnoException).path ?? "a file"}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (typeof key === "string") return io.usage(`send: ${key}`);
  const sets = argv.values.get("set") ?? [];
  // A --body file without --set goes out as its bytes, signed as they are (UTF-8 or not).
  const body = typeof original !== "string" && sets.length === 0 ? original : editedBody(example.contentType, original, sets);
  if (typeof body === "string") return io.usage(`send: ${body}`);
  const signed = signDelivery(key, body, Math.floor(io.now() / 1000));
  try {
    // A TeXML kind that only its own path tells apart goes there (e.g. <HttpRequest>'s action).
    const answer = await post(kindUrl(url, example.texmlKind), { "content-type": example.contentType, ...signed }, body);
    io.stdout(formatAnswer(answer));
    return answer.status >= 200 && answer.status < 300 ? 0 : 1;
  } catch (error) {
    io.stderr(`telnyx-relay send: ${(error as Error).message}\n`);
    return 1;
  }
}

/** The body with the `--set` edits made (a given body must be UTF-8 text to be edited), or a problem. */
function editedBody(contentType: string, original: string | Buffer, sets: readonly string[]): Buffer | string {
  let text = original;
  if (typeof text !== "string") {
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(text);
    } catch {
      return "--set: the --body file is not UTF-8 text, so it cannot be edited (send it without --set)";
    }
  }
  const edited = editBody(contentType, text, sets);
  return edited.ok ? Buffer.from(edited.body) : edited.message;
}
