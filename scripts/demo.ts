// npm run demo: the main job end to end, with nothing to configure. Makes a throwaway Ed25519 key
// pair, starts the relay with its public key on a free port, POSTs one example of every event type
// the relay knows (scripts/seed-event.ts EXAMPLES) signed the way Telnyx signs, prints the event
// line the relay writes to stdout for each, then stops it.
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { signDelivery } from "../src/crypto/sign.ts";
import { EXAMPLES } from "./seed-event.ts";

const { publicKey, privateKey } = generateKeyPairSync("ed25519");
// The public key as Telnyx's portal shows it: base64 of the raw 32 bytes (the DER minus its 12-byte prefix).
const portalKey = publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");
const path = "/webhooks/telnyx";
const deadLetterFile = join(mkdtempSync(join(tmpdir(), "telnyx-relay-demo-")), "dead-letter.jsonl");

// TELNYX_RELAY_BIN=dist/telnyx-relay npm run demo: the same, with the single executable.
const bin = process.env.TELNYX_RELAY_BIN;
const [command, args] = bin ? [bin, []] : [process.execPath, ["src/main.ts"]];
// --dedup-window 0: the spec's JSON examples share ids (0ccc7b54-… in many), which would otherwise be
// answered "duplicate" and not printed.
const relay = spawn(command, [...args, "--port", "0", "--host", "127.0.0.1", "--path", path, "--dedup-window", "0"], {
  // The user's own TELNYX_* settings must not change (or break) the demo.
  env: { ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("TELNYX_"))), TELNYX_PUBLIC_KEY: portalKey, TELNYX_RELAY_DEAD_LETTER_FILE: deadLetterFile },
  stdio: ["ignore", "pipe", "pipe"],
});
const say = (text: string) => process.stderr.write(`demo: ${text}\n`);

const logs = createInterface({ input: relay.stderr });
const events = createInterface({ input: relay.stdout });
const port = await new Promise<number>((resolve, reject) => {
  logs.on("line", (line) => {
    process.stderr.write(`relay log: ${line}\n`);
    let entry: { message?: string; port?: number } = {};
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      // a start-up error is one plain line; the exit below reports it
    }
    if (entry.message === "listening" && entry.port) resolve(entry.port);
  });
  relay.once("exit", (code) => reject(new Error(`the relay exited early with status ${code}`)));
});
const lines = events[Symbol.asyncIterator]();

const url = `http://127.0.0.1:${port}${path}`;
for (const example of EXAMPLES) {
  say(`POST ${example.texmlKind === undefined ? url : `${url}/texml/${example.texmlKind}`} with an example ${example.type} event, signed with a throwaway key`);
  const target = example.texmlKind === undefined ? url : `${url}/texml/${example.texmlKind}`;
  if (example.type === "com.telnyx.webhook" || example.type === "com.telnyx.texml.callback") {
    say("(a type the relay does not know: it is handed on as a generic event, with one warning per kind in the log)");
  }
  const response = await fetch(target, {
    method: "POST",
    headers: { "content-type": example.contentType, ...signDelivery(privateKey, example.body, Math.floor(Date.now() / 1000)) },
    body: example.body,
  });
  const answer = (await response.text()).trim();
  // A TeXML callback is answered with a TeXML document, its outcome in a header; a JSON webhook with JSON.
  const status = response.headers.get("telnyx-relay-status");
  say(`the relay answered ${response.status}${status === null ? "" : ` (Telnyx-Relay-Status: ${status})`} ${answer}`);
  if (response.status !== 200 || !(status === "accepted" || answer.includes('"accepted"'))) {
    process.exitCode = 1;
    break;
  }
  const { value: line } = await lines.next();
  say("the event line it wrote to stdout:");
  process.stdout.write(`${line}\n`);
}

relay.kill("SIGTERM");
const [code] = await once(relay, "exit");
say(`the relay stopped on SIGTERM with exit status ${code}`);
