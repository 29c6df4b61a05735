// keygen, send and replay driven as a user would: child processes of the relay's entry point,
// talking to a relay started with the key keygen printed.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";
import { PRIVATE_KEY_FILE } from "../../src/commands/keygen.ts";
import { signDelivery } from "../../src/crypto/sign.ts";
import { EXAMPLES, REFER_STATUS_EXAMPLE_FIELDS, encodeForm } from "../../src/events/examples.ts";
import { Buffer } from "node:buffer";
import { createPrivateKey, createPublicKey, verify } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { runRelay, startChildRelay, type ChildRelay } from "../support/child-relay.ts";
import { startDownstream } from "../support/downstream.ts";
import { until } from "../support/wait.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "telnyx-relay-commands-"));

/** The event id `send` printed: a relay's Telnyx-Relay-Event-Id line (a TeXML answer), else the JSON body's id. */
function sentId(stdout: string): { id: string } {
  const header = /^Telnyx-Relay-Event-Id: (\S+)$/m.exec(stdout);
  if (header !== null) return { id: header[1] as string };
  return JSON.parse(stdout.split("\n")[1] as string) as { id: string };
}
after(() => rmSync(dir, { recursive: true, force: true }));

async function stop(relay: ChildRelay): Promise<void> {
  relay.child.kill("SIGTERM");
  await relay.exited;
}

let portalKey = "";
let keyFile = "";

describe("keygen", () => {
  before(async () => {
    const { code, stdout, stderr } = await runRelay(["keygen", "--out", dir]);
    assert.equal(code, 0, stderr);
    portalKey = /public key \(as the Telnyx portal shows it\): (\S+)/.exec(stdout)?.[1] ?? "";
    keyFile = /private key \(PEM, mode 0600\): (\S+)/.exec(stdout)?.[1] ?? "";
  });

  test("prints the public key as the portal shows it and writes the private key as PEM, mode 0600", () => {
    assert.match(portalKey, /^[A-Za-z0-9+/]{43}=$/);
    assert.equal(keyFile, join(dir, "telnyx-test-private-key.pem"));
    assert.match(readFileSync(keyFile, "utf8"), /^-----BEGIN PRIVATE KEY-----\n/);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  });

  test("--out a directory that does not exist yet: it is made, and the key written into it", async () => {
    const nested = join(dir, "new", "keys");
    const { code, stderr } = await runRelay(["keygen", "--out", nested]);
    assert.equal(code, 0, stderr);
    assert.equal(statSync(join(nested, "telnyx-test-private-key.pem")).mode & 0o777, 0o600);
  });

  test("refuses to overwrite an existing key file (exit 1), leaving it as it was", async () => {
    const before = readFileSync(keyFile, "utf8");
    const { code, stdout, stderr } = await runRelay(["keygen", "--out", dir]);
    assert.equal(code, 1);
    assert.equal(stdout, "");
    assert.match(stderr, /EEXIST/);
    assert.equal(readFileSync(keyFile, "utf8"), before);
  });

  test("the key file keygen writes in the working directory by default is ignored by git (.gitignore), so a clone cannot commit it", { skip: spawnSync("git", ["rev-parse", "--is-inside-work-tree"], { cwd: ROOT }).status !== 0 && "not a git work tree" }, () => {
    assert.equal(PRIVATE_KEY_FILE, "telnyx-test-private-key.pem");
    for (const path of [PRIVATE_KEY_FILE, `examples/${PRIVATE_KEY_FILE}`]) {
      assert.equal(spawnSync("git", ["check-ignore", "--quiet", "--no-index", "--", path], { cwd: ROOT }).status, 0, `git check-ignore ${path}`);
    }
  });

  describe("send, to a relay started with the printed key", () => {
    let relay: ChildRelay;
    const deadLetterFile = join(dir, "dead.jsonl");
    before(async () => {
      // The spec's examples share some data.id values (one example serves several JSON webhooks):
      // without deduplication each one sent comes out.
      relay = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: portalKey }, args: ["--dead-letter-file", deadLetterFile, "--dedup-window", "0"] });
    });
    after(() => stop(relay));

    test("send --list lists every registered type", async () => {
      const { code, stdout } = await runRelay(["send", "--list"]);
      assert.equal(code, 0);
      for (const example of EXAMPLES) assert.match(stdout, new RegExp(`^${example.type.replaceAll(".", "\\.")} +${example.contentType}$`, "m"));
    });

    for (const example of EXAMPLES) {
      test(`send ${example.type}: answered 200, and its CloudEvent line comes out`, async () => {
        const { code, stdout, stderr } = await runRelay(["send", example.type, "--to", relay.url, "--private-key", keyFile]);
        assert.equal(code, 0, stderr);
        assert.match(stdout, /^HTTP 200 OK\n/);
        const { id } = sentId(stdout);
        const line = JSON.parse(await relay.waitForLine((text) => text.includes(id) && text.includes(`"type":"${example.type}"`))) as { type: string };
        assert.equal(line.type, example.type);
      });
    }

    test("--set edits a form field, encoded as Telnyx encodes it (+0000 arrives as +0000)", async () => {
      const { code, stdout, stderr } = await runRelay([
        "send", "texml.refer.status", "--to", relay.url, "--private-key", keyFile,
        "--set", "Timestamp=Mon, 15 Jan 2024 10:30:00 +0000", "--set", "CallSid=v3:edited+call",
      ]);
      assert.equal(code, 0, stderr);
      const { id } = sentId(stdout);
      const line = JSON.parse(await relay.waitForLine((text) => text.includes(id))) as { data: Record<string, string>; time: string };
      assert.equal(line.data.Timestamp, "Mon, 15 Jan 2024 10:30:00 +0000");
      assert.equal(line.data.CallSid, "v3:edited+call");
      assert.equal(line.time, "2024-01-15T10:30:00+00:00");
    });

    test("--body sends a given body; an invalid one is answered 400 (exit 1) and dead-lettered", async () => {
      const bodyFile = join(dir, "invalid.form");
      writeFileSync(bodyFile, encodeForm(REFER_STATUS_EXAMPLE_FIELDS.map(([name, value]) => [name, name === "ReferCallStatus" ? "bogus" : value])));
      const { code, stdout } = await runRelay(["send", "texml.refer.status", "--to", relay.url, "--private-key", keyFile, "--body", bodyFile]);
      assert.equal(code, 1);
      assert.match(stdout, /^HTTP 400 /);
      assert.match(readFileSync(deadLetterFile, "utf8"), /bogus/);
    });

    test("--body sends the file's bytes as they are, signed over those bytes (not decoded as UTF-8 first); --set on such a body is a usage error", async () => {
      // Not UTF-8: bytes a decoder would turn into U+FFFD (0xFF, a lone 0xE9, a cut-short sequence).
      const bytes = Buffer.concat([Buffer.from("CallSid=v3:"), Buffer.from([0xff, 0xfe, 0xe9, 0x00, 0xc3]), Buffer.from("&Note=caf"), Buffer.from([0xe9])]);
      const bodyFile = join(dir, "binary.form");
      writeFileSync(bodyFile, bytes);
      let received: { body: Buffer; timestamp: string; signature: string } | undefined;
      const target = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
          received = { body: Buffer.concat(chunks), timestamp: String(req.headers["telnyx-timestamp"]), signature: String(req.headers["telnyx-signature-ed25519"]) };
          res.end("ok");
        });
      });
      target.listen(0, "127.0.0.1");
      await once(target, "listening");
      try {
        const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/`;
        const { code, stderr } = await runRelay(["send", "texml.refer.status", "--to", url, "--private-key", keyFile, "--body", bodyFile]);
        assert.equal(code, 0, stderr);
        assert.ok(received !== undefined);
        assert.deepEqual(received.body, bytes, "the file's bytes, unchanged");
        const publicKey = createPublicKey(createPrivateKey(readFileSync(keyFile)));
        const signed = Buffer.concat([Buffer.from(`${received.timestamp}|`), bytes]);
        assert.equal(verify(null, signed, publicKey, Buffer.from(received.signature, "base64")), true, "signed over those bytes");
        const edited = await runRelay(["send", "texml.refer.status", "--to", url, "--private-key", keyFile, "--body", bodyFile, "--set", "Note=x"]);
        assert.equal(edited.code, 2);
        assert.match(edited.stderr, /--body file is not UTF-8 text/);
      } finally {
        target.close();
      }
    });

    test("usage errors exit 2: no type, an unknown type, a non-http URL, a missing key file", async () => {
      const cases: Array<[string[], RegExp]> = [
        [["send", "--to", relay.url, "--private-key", keyFile], /give one event type/],
        [["send", "no.such.type", "--to", relay.url, "--private-key", keyFile], /no event type "no\.such\.type"/],
        [["send", "texml.refer.status", "--to", "ftp://127.0.0.1/x", "--private-key", keyFile], /only http:\/\/ and https:\/\//],
        [["send", "texml.refer.status", "--to", relay.url, "--private-key", join(dir, "none.pem")], /cannot read .*none\.pem: ENOENT/],
        [["send", "texml.refer.status", "--to", relay.url], /--private-key FILE are required/],
      ];
      for (const [argv, message] of cases) {
        const { code, stderr } = await runRelay(argv);
        assert.equal(code, 2, argv.join(" "));
        assert.match(stderr, message);
      }
    });
  });
});

describe("replay of a dead-letter file", () => {
  const file = join(dir, "replay.jsonl");
  let privateKey: ReturnType<typeof createPrivateKey>;
  let validBody = "";
  before(async () => {
    // keygen's key, produced by the keygen suite above (node:test runs suites in order).
    await until(() => keyFile !== "", "keygen");
    privateKey = createPrivateKey(readFileSync(keyFile));
    // A record the relay wrote: a signed delivery this build still refuses.
    const relay = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: portalKey }, args: ["--dead-letter-file", file] });
    try {
      const bodyFile = join(dir, "still-invalid.form");
      writeFileSync(bodyFile, encodeForm([["CallSid", "v3:only-this"]]));
      const sent = await runRelay(["send", "texml.refer.status", "--to", relay.url, "--private-key", keyFile, "--body", bodyFile]);
      assert.match(sent.stdout, /^HTTP 400 /);
    } finally {
      await stop(relay);
    }
    // A record the relay wrote in spooled mode: an event the downstream refused for good (422).
    const refusing = await startDownstream();
    refusing.answer(() => ({ status: 422, body: "unknown call" }));
    const spooled = await startChildRelay({
      env: { TELNYX_PUBLIC_KEY: portalKey },
      args: ["--dead-letter-file", file, "--forward-url", refusing.url, "--spool-dir", join(dir, "spool")],
    });
    try {
      const sent = await runRelay(["send", "texml.refer.status", "--to", spooled.url, "--private-key", keyFile, "--set", "CallSid=v3:refused"]);
      assert.match(sent.stdout, /^HTTP 200 /);
      await until(() => existsSync(file) && readFileSync(file, "utf8").includes("downstream_rejected"), "the downstream_rejected record");
    } finally {
      await stop(spooled);
      await refusing.close();
    }
    // A record as an older build would have kept it: signed, and valid with this build.
    validBody = encodeForm(REFER_STATUS_EXAMPLE_FIELDS.map(([name, value]) => [name, name === "CallSid" ? "v3:now-valid" : value]));
    const old = Math.floor(Date.now() / 1000) - 86_400 * 30;
    const record = (body: string, headers: object) => JSON.stringify({ receivedAt: "2026-10-01T00:00:00.000Z", reason: "invalid_event", detail: "from an older build", headers, body });
    const valid = record(validBody, signDelivery(privateKey, validBody, old));
    // The same, with its body changed after signing.
    const tampered = record(validBody.replace("now-valid", "forged"), signDelivery(privateKey, validBody, old));
    writeFileSync(file, `${readFileSync(file, "utf8")}${valid}\n${tampered}\nnot json\n`);
  });

  test("--check says what would pass now, what fails its signature, what is still invalid; the age window is ignored, and said so", async () => {
    const { code, stdout, stderr } = await runRelay(["replay", file, "--check"], { TELNYX_PUBLIC_KEY: portalKey });
    assert.equal(code, 0, stderr);
    assert.match(stdout, /without the age window \(--tolerance \/ TELNYX_RELAY_TOLERANCE is ignored\)/);
    assert.match(stdout, /record 1: still invalid: /);
    assert.match(stdout, /record 2: downstream_rejected event \S+ \(the downstream answered 422.*can be POSTed again as it is/);
    assert.match(stdout, /record 3: would now pass as com\.telnyx\.texml\.refer\.status, id /);
    assert.match(stdout, /record 4: signature does not hold .*never passed on/);
    assert.match(stdout, /record 5: skipped: not JSON/);
    assert.match(stdout, /nothing was sent/);
  });

  test("with another key, no record's signature holds", async () => {
    const other = await runRelay(["replay", file, "--check"], { TELNYX_PUBLIC_KEY: "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" });
    assert.equal(other.code, 0);
    assert.doesNotMatch(other.stdout, /would now pass/);
    assert.equal(other.stdout.match(/signature does not hold/g)?.length, 3);
  });

  test("--to a relay, re-signed with --private-key: only the now-valid delivery arrives", async () => {
    const relay = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: portalKey }, args: ["--dead-letter-file", join(dir, "dead-2.jsonl")] });
    try {
      const { code, stdout, stderr } = await runRelay(["replay", file, "--to", relay.url, "--private-key", keyFile], { TELNYX_PUBLIC_KEY: portalKey });
      assert.equal(code, 0, stderr);
      assert.match(stdout, /record 3: valid now as com\.telnyx\.texml\.refer\.status, id \S+: HTTP 200/);
      assert.match(stdout, /record 2: downstream_rejected event \S+: a CloudEvent, not sent to a relay/);
      assert.match(stdout, /Passed on: 1; failed: 0; not passed on: 4\./);
      const line = JSON.parse(await relay.waitForLine((text) => text.includes("now-valid"))) as { data: Record<string, string> };
      assert.equal(line.data.CallSid, "v3:now-valid");
      // Stopped, and its stdout read to the end: all that arrived is in.
      relay.child.kill("SIGTERM");
      await relay.closed;
      assert.equal(relay.lines.length, 1, "nothing else arrived");
    } finally {
      await stop(relay);
    }
  });

  test("--to an app: the now-valid one as its CloudEvent, the refused CloudEvent again as it was; never the forged one", async () => {
    const downstream = await startDownstream();
    try {
      const { code, stdout, stderr } = await runRelay(["replay", file, "--to", downstream.url], { TELNYX_PUBLIC_KEY: portalKey });
      assert.equal(code, 0, stderr);
      assert.match(stdout, /Passed on: 2; failed: 0; not passed on: 3\./);
      assert.equal(downstream.received.length, 2);
      const [refused, valid] = downstream.received;
      const stored = (JSON.parse(readFileSync(file, "utf8").split("\n")[1] as string) as { event: string }).event;
      assert.equal(refused?.body, stored, "the refused CloudEvent, byte for byte as it was kept");
      assert.equal(refused?.headers["idempotency-key"], (JSON.parse(stored) as { id: string }).id);
      const event = JSON.parse(valid?.body ?? "") as { id: string; data: Record<string, string> };
      assert.equal(event.data.CallSid, "v3:now-valid");
      assert.equal(valid?.headers["idempotency-key"], event.id);
      assert.match(String(valid?.headers["content-type"]), /^application\/cloudevents\+json/);
      assert.ok(!downstream.received.some((request) => request.body.includes("forged")));
    } finally {
      await downstream.close();
    }
  });

  test("a target that answers an error makes the exit status 1", async () => {
    const downstream = await startDownstream();
    downstream.answer(() => ({ status: 500, body: "down" }));
    try {
      const { code, stdout } = await runRelay(["replay", file, "--to", downstream.url], { TELNYX_PUBLIC_KEY: portalKey });
      assert.equal(code, 1);
      assert.match(stdout, /HTTP 500 down/);
    } finally {
      await downstream.close();
    }
  });

  test("usage: neither or both of --check and --to, or no key, exit 2", async () => {
    assert.equal((await runRelay(["replay", file], { TELNYX_PUBLIC_KEY: portalKey })).code, 2);
    assert.equal((await runRelay(["replay", file, "--check", "--to", "http://127.0.0.1:1/"], { TELNYX_PUBLIC_KEY: portalKey })).code, 2);
    const noKey = await runRelay(["replay", file, "--check"]);
    assert.equal(noKey.code, 2);
    assert.match(noKey.stderr, /public key is required/);
  });
});

test("help lists the commands", async () => {
  const { stdout } = await runRelay(["help"]);
  for (const command of ["keygen", "send", "replay"]) assert.match(stdout, new RegExp(`telnyx-relay ${command}`));
});
