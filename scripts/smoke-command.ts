// One signed event in, its line out, against any way of running the relay: the installed npm
// package's bin (scripts/pack-test.ts) and a single executable built for another architecture, run
// under qemu (.ci/run). Checks `--version`, then starts it on a loopback port with a key pair made
// for the run, POSTs the seed event signed with it, expects 200 and the event's CloudEvent line on
// stdout, and exit status 0 after SIGTERM.
//
//   node scripts/smoke-command.ts [--path DIRS] [--version-pattern REGEX] -- COMMAND [ARGS…]
//
// The command's environment is only PATH (--path; default: an empty directory, so no node can be
// found) and the relay's variables.
import { generateKeyPairSync } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";
import { signDelivery } from "../src/crypto/sign.ts";
import { startChildRelay } from "../test/support/child-relay.ts";
import { SEED_BODY } from "./seed-event.ts";

const { values: options, positionals } = parseArgs({
  options: {
    path: { type: "string" },
    "version-pattern": { type: "string", default: String.raw`^telnyx-relay \S+ \(node v24\.\d+\.\d+\)$` },
  },
  allowPositionals: true,
  strict: true,
});
// Paths are resolved here: the relay runs in a directory of its own (for its dead-letter file).
const [command, ...args] = positionals.map((word) => (word.includes("/") ? resolve(word) : word));
if (command === undefined) throw new Error("usage: node scripts/smoke-command.ts [--path DIRS] -- COMMAND [ARGS…]");
const say = (text: string): void => void process.stderr.write(`smoke: ${text}\n`);
function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`failed: ${what}`);
  say(`ok: ${what}`);
}

const work = mkdtempSync(join(tmpdir(), "telnyx-relay-smoke-"));
const emptyPath = join(work, "empty-path");
mkdirSync(emptyPath);
const PATH = options.path ?? emptyPath;
try {
  const version = execFileSync(command, [...args, "--version"], { encoding: "utf8", env: { PATH } }).trim();
  check(new RegExp(options["version-pattern"]).test(version), `${[command, ...args].join(" ")} --version: ${version}`);

  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  // As Telnyx's portal shows it: base64 of the raw 32 bytes (the SPKI DER minus its 12-byte prefix).
  const portalKey = publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");
  const relay = await startChildRelay({ command: { command, args }, cwd: work, env: { PATH, TELNYX_PUBLIC_KEY: portalKey } });
  try {
    const response = await fetch(relay.url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...signDelivery(privateKey, SEED_BODY, Math.floor(Date.now() / 1000)) },
      body: SEED_BODY,
    });
    // A TeXML callback is answered with a TeXML document; the outcome is in the relay's headers.
    await response.text();
    const answer = { status: response.headers.get("telnyx-relay-status") ?? undefined, id: response.headers.get("telnyx-relay-event-id") ?? undefined };
    check(response.status === 200 && answer.status === "accepted", `the signed seed event is answered 200 (${response.status} ${JSON.stringify(answer)})`);
    const line = JSON.parse(await relay.waitForLine((text) => text.includes(String(answer.id)))) as { id?: string; type?: string };
    check(line.id === answer.id && line.type === "com.telnyx.texml.refer.status", `its CloudEvent line is on stdout (id ${line.id})`);
  } finally {
    relay.child.kill("SIGTERM");
  }
  const { code } = await relay.exited;
  check(code === 0, `SIGTERM ends it with exit status 0 (${code})`);
  say("all checks passed");
} finally {
  rmSync(work, { recursive: true, force: true });
}
