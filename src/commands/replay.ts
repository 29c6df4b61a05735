// `telnyx-relay replay <dead-letter.jsonl> (--check | --to URL [--private-key FILE])`: looks at a
// dead-letter file again with the current build, and hands on what is now valid.
import { signDelivery } from "../crypto/sign.ts";
import { createOptionReader } from "../config/option-reader.ts";
import { loadKeys } from "../config/load-keys.ts";
import { OPTIONS, type OptionName } from "../config/options.ts";
import type { CommandIo } from "./command-io.ts";
import { parseCommandArgs, single } from "./command-args.ts";
import { kindUrl, post, targetUrl, type PostAnswer } from "./http-post.ts";
import { loadPrivateKey } from "./private-key.ts";
import { judgeRecord, type ReplayVerdict } from "./replay-record.ts";

const KEY_OPTIONS: readonly OptionName[] = ["public-key", "public-key-file"];

/**
 * Runs `replay`. Each record's stored signature is checked with the keys the relay would use
 * (`--public-key`, `--public-key-file` or their variables), without the age window; a record whose
 * signature fails is never passed on. With `--check`, says what would now pass; with `--to`, POSTs
 * each now-valid delivery: re-signed as Telnyx would with `--private-key` (the target is another
 * relay), else as the CloudEvent the relay would forward. `downstream_rejected` records (a
 * CloudEvent the downstream refused) are POSTed again as they are (not to a relay).
 *
 * @param args The arguments after `replay`.
 * @param io Output, files, environment, clock.
 * @returns 0 when every record to pass on was taken (2xx), 1 otherwise, 2 for a usage error.
 * @example
 * ```ts
 * await replay(["telnyx-relay-dead-letter.jsonl", "--check"], io);
 * ```
 */
export async function replay(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(args, { valued: new Set(["to", "private-key", ...KEY_OPTIONS]), switches: new Map([["check", undefined]]) });
  if (!parsed.ok) return io.usage(`replay: ${parsed.message}`);
  const { argv, positionals } = parsed;
  const to = single(argv, "to");
  const check = argv.switches.has("check");
  if (positionals.length !== 1 || (to === undefined) === !check) return io.usage("replay: give one dead-letter file and either --check or --to URL");
  const url = to === undefined ? undefined : targetUrl("--to", to);
  if (typeof url === "string") return io.usage(`replay: ${url}`);

  const errors: string[] = [];
  const flags = new Map(KEY_OPTIONS.flatMap((name) => (argv.values.has(name) ? [[name, argv.values.get(name) as string[]] as const] : [])));
  const keys = loadKeys(createOptionReader(flags, io.env, errors), (path) => io.readFile(path).toString("utf8"), errors);
  const keyPath = single(argv, "private-key");
  let privateKey;
  let text: string;
  try {
    privateKey = keyPath === undefined ? undefined : loadPrivateKey(io.readFile(keyPath));
    text = io.readFile(positionals[0] as string).toString("utf8");
  } catch (error) {
    return io.usage(`replay: cannot read ${(error as NodeJS.ErrnoException).path ?? "a file"}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  if (typeof privateKey === "string") errors.push(privateKey);
  if (errors.length > 0 || typeof privateKey === "string") return io.usage(`replay: ${errors.join("; ")}`);

  io.stdout(`Signatures are checked with ${keys.length} key(s) without the age window (--tolerance / ${OPTIONS.tolerance.env} is ignored): dead letters are old by nature.\n`);
  const counts = { passed: 0, failed: 0, skipped: 0 };
  const lines = text.split("\n");
  for (const [index, line] of lines.entries()) {
    if (line.trim() === "") continue;
    const verdict = judgeRecord(line, keys);
    const where = `record ${index + 1}`;
    if (url === undefined || !(verdict.kind === "valid" || (verdict.kind === "refused-event" && privateKey === undefined))) {
      io.stdout(`${where}: ${describe(verdict, check, privateKey !== undefined)}\n`);
      counts.skipped++;
      continue;
    }
    const answer = await pass(verdict, url, privateKey, io.now).catch((error: Error) => error);
    const ok = !(answer instanceof Error) && answer.status >= 200 && answer.status < 300;
    counts[ok ? "passed" : "failed"]++;
    const said = answer instanceof Error ? answer.message : `HTTP ${answer.status} ${answer.body.slice(0, 200).trim()}`;
    io.stdout(`${where}: ${verdict.kind === "valid" ? `valid now as ${verdict.type}, id ${verdict.event.id}` : `downstream_rejected event ${verdict.id}, POSTed again as it is`}: ${said}\n`);
  }
  io.stdout(url === undefined ? "Checked only: nothing was sent.\n" : `Passed on: ${counts.passed}; failed: ${counts.failed}; not passed on: ${counts.skipped}.\n`);
  return counts.failed > 0 ? 1 : 0;
}

function describe(verdict: ReplayVerdict, check: boolean, toRelay: boolean): string {
  switch (verdict.kind) {
    case "unreadable":
      return `skipped: ${verdict.detail}`;
    case "bad-signature":
      return `signature does not hold (${verdict.detail}): never passed on`;
    case "still-invalid":
      return `still invalid: ${verdict.detail}`;
    case "valid":
      return `would now pass as ${verdict.type}, id ${verdict.event.id}`;
    case "refused-event":
      return check
        ? `downstream_rejected event ${verdict.id} (${verdict.detail}): can be POSTed again as it is with --to (without --private-key)`
        : toRelay
          ? `downstream_rejected event ${verdict.id}: a CloudEvent, not sent to a relay (--private-key given)`
          : `downstream_rejected event ${verdict.id}`;
  }
}

/** POSTs a now-valid delivery (re-signed for a relay, or as its CloudEvent), or a refused CloudEvent as it was. */
function pass(verdict: ReplayVerdict & { kind: "valid" | "refused-event" }, url: URL, privateKey: Parameters<typeof signDelivery>[0] | undefined, now: () => number): Promise<PostAnswer> {
  if (verdict.kind === "valid" && privateKey !== undefined) {
    return post(kindUrl(url, verdict.texmlKind), { "content-type": verdict.contentType, ...signDelivery(privateKey, verdict.body, Math.floor(now() / 1000)) }, verdict.body);
  }
  const { id, json } = verdict.kind === "valid" ? verdict.event : verdict;
  return post(url, { "content-type": "application/cloudevents+json; charset=utf-8", "idempotency-key": id, "ce-id": id }, json);
}
