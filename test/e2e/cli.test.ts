// The relay as users run it: a child process, configured by flags and env vars, events on stdout,
// logs on stderr, signals and pipes that behave like the real ones.
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, describe, test } from "node:test";
import { signDelivery } from "../../src/crypto/sign.ts";
import { OPTION_NAMES, OPTIONS } from "../../src/config/options.ts";
import { VERSION } from "../../src/lib/version.ts";
import { encodeForm, SEED_BODY, SEED_FIELDS } from "../../scripts/seed-event.ts";
import { FORM, postSigned, outcomeOf } from "../support/http.ts";
import { runRelay, startChildRelay } from "../support/child-relay.ts";
import { isDeno } from "../support/runtime.ts";
import { makeKeys, nowSeconds } from "../support/keys.ts";
import { until } from "../support/wait.ts";

const keys = makeKeys();
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "telnyx-relay-e2e-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const deadLetterArgs = ["--dead-letter-file", join(dir, "dead.jsonl")];
function texmlFile(name: string, content: string | Buffer): string {
  writeFileSync(join(dir, name), content);
  return join(dir, name);
}
function texmlLink(name: string, target: string): string {
  symlinkSync(target, join(dir, name));
  return join(dir, name);
}
function texmlFifo(name: string): string {
  execFileSync("mkfifo", [join(dir, name)]);
  return join(dir, name);
}

describe("start-up and usage", () => {
  test("--help lists every flag and env var and exits 0", async () => {
    const { code, stdout, stderr } = await runRelay(["--help"]);
    assert.equal(code, 0);
    assert.equal(stderr, "");
    for (const name of OPTION_NAMES) {
      assert.ok(stdout.includes(`--${name}`), name);
      assert.ok(stdout.includes(OPTIONS[name].env), OPTIONS[name].env);
    }
    for (const line of stdout.split("\n")) assert.ok(line.length <= 80, line);
  });

  test("`help` as a command prints the same text as --help and exits 0", async () => {
    const [help, flag] = await Promise.all([runRelay(["help"]), runRelay(["--help"])]);
    assert.equal(help.code, 0);
    assert.equal(help.stderr, "");
    assert.equal(help.stdout, flag.stdout);
    assert.match(help.stdout, /\nExamples:\n/);
  });

  test("--version prints the package version and the Node version inside", async () => {
    const { code, stdout } = await runRelay(["--version"]);
    assert.equal(code, 0);
    assert.match(stdout, new RegExp(`^telnyx-relay ${VERSION.replaceAll(".", "\\.")} \\((node v|deno )\\d+\\.\\d+\\.\\d+\\)\\n$`));
  });

  const usageErrors: Array<[string, string[], Record<string, string>, RegExp]> = [
    ["no key at all", [], {}, /public key is required.*TELNYX_PUBLIC_KEY/],
    ["a key that is not base64 of 32 bytes", ["--public-key", "bm90IGEga2V5"], {}, /--public-key: Cannot parse public key/],
    ["a bad key in the env var", [], { TELNYX_PUBLIC_KEY: "x".repeat(44) }, /TELNYX_PUBLIC_KEY: Cannot parse public key/],
    ["an unknown flag", ["--prot", "1"], {}, /Unknown option '--prot'/],
    ["a flag at the end without its value", ["--port", "1", "--public-key"], {}, /Option '--public-key' needs a value/],
    ["a negative port (the next argument is the value, whatever it starts with)", ["--port", "-1"], { TELNYX_PUBLIC_KEY: keys.portalKey }, /--port: "-1" is not a port number/],
    ["--path /readyz, the relay's own readiness path", ["--path", "/readyz"], { TELNYX_PUBLIC_KEY: keys.portalKey }, /--path: \/readyz is answered by the relay itself/],
    ["--path /metrics, the relay's own metrics path", ["--path=/metrics"], { TELNYX_PUBLIC_KEY: keys.portalKey }, /--path: \/metrics is answered by the relay itself/],
    ["TELNYX_RELAY_PATH=/healthz", [], { TELNYX_PUBLIC_KEY: keys.portalKey, TELNYX_RELAY_PATH: "/healthz" }, /TELNYX_RELAY_PATH: \/healthz is answered by the relay itself/],
    ["a bad port", ["--port", "70000"], { TELNYX_PUBLIC_KEY: keys.portalKey }, /--port: "70000" is not a port number/],
    ["a misspelt env var", [], { TELNYX_PUBLIC_KEY: keys.portalKey, TELNYX_RELAY_PROT: "1" }, /TELNYX_RELAY_PROT is not a telnyx-relay setting/],
    ["an unreadable key file", ["--public-key-file", join(dir, "missing.pem")], {}, /cannot read .*missing\.pem: ENOENT/],
    ["a dead-letter file in a missing directory", ["--dead-letter-file", join(dir, "no/such/dir/d.jsonl")], { TELNYX_PUBLIC_KEY: keys.portalKey }, /--dead-letter-file/],
    ["a host that is not an address", ["--host", "not a host", ...["--dead-letter-file", join(dir, "dl-host.jsonl")]], { TELNYX_PUBLIC_KEY: keys.portalKey }, /cannot start/],
    ["a sink timeout longer than the shutdown timeout", ["--sink-timeout", "20s"], { TELNYX_PUBLIC_KEY: keys.portalKey }, /--sink-timeout .* must be shorter than --shutdown-timeout/],
    // --texml-reply is served on every TeXML callback: 64 KiB of UTF-8 from a regular file at most.
    ["a --texml-reply file over 64 KiB", ["--texml-reply", texmlFile("big.xml", `<Response><Say>${"a".repeat(64 * 1024)}</Say></Response>`)], { TELNYX_PUBLIC_KEY: keys.portalKey }, /--texml-reply .*big\.xml .*larger than 65536 bytes/],
    ["a --texml-reply that never ends (/dev/zero, through a link in the test's directory)", ["--texml-reply", texmlLink("zero.xml", "/dev/zero")], { TELNYX_PUBLIC_KEY: keys.portalKey }, /--texml-reply .*zero\.xml .*not a regular file/],
    ["a --texml-reply FIFO (no writer: reading it would block start-up)", ["--texml-reply", texmlFifo("fifo.xml")], { TELNYX_PUBLIC_KEY: keys.portalKey }, /--texml-reply .*fifo\.xml .*not a regular file/],
    ["a --texml-reply directory", ["--texml-reply", dir], { TELNYX_PUBLIC_KEY: keys.portalKey }, /--texml-reply .*not a regular file/],
    ["a --texml-reply that is not UTF-8", ["--texml-reply", texmlFile("latin1.xml", Buffer.from("<Response><Say>caf\xe9</Say></Response>", "latin1"))], { TELNYX_PUBLIC_KEY: keys.portalKey }, /--texml-reply .*latin1\.xml .*not UTF-8/],
  ];
  const denoSkips: Record<string, string> = {
    "a misspelt env var": "deno run --allow-env=NAMES (deno.json) cannot list the environment: the relay starts and warns instead (tested below)",
  };
  for (const [name, argv, env, message] of usageErrors) {
    test(`${name}: exit 2 with a one-line message, before listening`, { skip: isDeno && denoSkips[name], timeout: 60_000 }, async () => {
      const { code, stdout, stderr } = await runRelay(argv, env);
      assert.equal(code, 2);
      assert.equal(stdout, "");
      assert.match(stderr, message);
      assert.match(stderr, /^telnyx-relay: [^\n]+\n$/, `one line: ${stderr}`);
      assert.ok(!stderr.includes("listening"));
    });
  }

  test("a PEM key given as the next argument (--public-key \"$(cat key.pem)\") is taken as the key", async () => {
    const pem = keys.publicKey.export({ format: "pem", type: "spki" }) as string;
    const relay = await startChildRelay({ args: ["--public-key", pem, ...deadLetterArgs] });
    try {
      assert.equal((await postSigned(relay.url, keys.privateKey, SEED_BODY)).status, 200);
      assert.equal((await postSigned(relay.url, makeKeys().privateKey, SEED_BODY)).status, 401);
    } finally {
      relay.child.kill("SIGTERM");
      await relay.exited;
    }
  });

  test("a misspelt variable under deno run --allow-env=NAMES: the relay starts and says, in one warning after `listening`, that the check could not run", async () => {
    const deno = join(ROOT, "node_modules/.bin/deno");
    const names = OPTION_NAMES.map((name) => OPTIONS[name].env).join(",");
    const args = ["run", `--allow-net`, `--allow-env=${names}`, `--allow-read=${dir}`, `--allow-write=${dir}`, join(ROOT, "src/main.ts")];
    const relay = await startChildRelay({ command: { command: deno, args }, env: { TELNYX_PUBLIC_KEY: keys.portalKey, TELNYX_RELAY_PROT: "1" }, args: deadLetterArgs });
    // Every log line up to `stopped`, the last one.
    relay.child.kill("SIGTERM");
    assert.deepEqual(await relay.exited, { code: 0, signal: null });
    await until(() => relay.logs.some((entry) => entry.message === "stopped"));
    assert.equal(relay.logs[0]?.message, "listening");
    const warnings = relay.logs.filter((entry) => entry.level === "warn");
    assert.equal(warnings.length, 1, JSON.stringify(relay.logs));
    assert.equal(warnings[0]?.message, "misspelt variables cannot be noticed");
    assert.match(String(warnings[0]?.reason), /cannot be listed.*--allow-env/);
    assert.equal(relay.logs[1], warnings[0], "right after `listening`");
  });

  test("the port in use: exit 2 with a one-line message naming the error, before listening", async () => {
    const first = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args: deadLetterArgs });
    try {
      const { code, stderr } = await runRelay(["--host", "127.0.0.1", "--port", String(first.port), ...deadLetterArgs], { TELNYX_PUBLIC_KEY: keys.portalKey });
      assert.equal(code, 2);
      assert.match(stderr, /^telnyx-relay: cannot start: .*EADDRINUSE[^\n]*\n$/);
    } finally {
      first.child.kill("SIGTERM");
      await first.exited;
    }
  });
});

describe("the main job", () => {
  test("the seed event goes in signed and comes out on stdout; the first log line is `listening` with the real port", async () => {
    const relay = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args: deadLetterArgs });
    try {
      assert.equal(relay.logs[0]?.message, "listening");
      assert.notEqual(relay.port, 0);
      const answer = await postSigned(relay.url, keys.privateKey, SEED_BODY);
      assert.equal(answer.status, 200);
      const line = await relay.waitForLine(() => true);
      const event = JSON.parse(line);
      assert.equal(event.type, "com.telnyx.texml.refer.status");
      assert.deepEqual(event.data, Object.fromEntries(SEED_FIELDS));
      assert.equal(event.id, outcomeOf(answer).id);
    } finally {
      relay.child.kill("SIGTERM");
      assert.deepEqual(await relay.exited, { code: 0, signal: null });
    }
  });

  test("a PEM key from --public-key-file and a base64 key from --public-key are both accepted; TELNYX_RELAY_PATH moves the path", async () => {
    const pemFile = join(dir, "telnyx.pem");
    writeFileSync(pemFile, keys.publicKey.export({ format: "pem", type: "spki" }) as string);
    const rotated = makeKeys();
    const relay = await startChildRelay({
      env: { TELNYX_PUBLIC_KEY_FILE: pemFile, TELNYX_RELAY_PATH: "/hooks" },
      args: ["--public-key-file", pemFile, "--public-key", rotated.portalKey, ...deadLetterArgs],
    });
    try {
      const url = `http://127.0.0.1:${relay.port}/hooks`;
      assert.equal((await postSigned(url, keys.privateKey, SEED_BODY)).status, 200);
      assert.equal((await postSigned(url, rotated.privateKey, SEED_BODY)).status, 200);
      assert.equal((await postSigned(url, makeKeys().privateKey, SEED_BODY)).status, 401);
    } finally {
      relay.child.kill("SIGTERM");
      await relay.exited;
    }
  });
});

describe("stopping", () => {
  test("SIGTERM: an in-flight request is finished and its line written, new connections are refused, exit 0", async () => {
    const relay = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args: deadLetterArgs });
    const headers = signDelivery(keys.privateKey, SEED_BODY, nowSeconds());
    const socket = connect({ port: relay.port, host: "127.0.0.1" });
    let response = "";
    socket.on("data", (chunk) => (response += chunk.toString()));
    const closed = new Promise((resolve) => socket.on("close", resolve));
    const half = Math.floor(SEED_BODY.length / 2);
    socket.write(
      `POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: ${SEED_BODY.length}\r\nExpect: 100-continue\r\n` +
        `telnyx-timestamp: ${headers["telnyx-timestamp"]}\r\ntelnyx-signature-ed25519: ${headers["telnyx-signature-ed25519"]}\r\n\r\n` +
        SEED_BODY.slice(0, half),
    );
    // The server has the request (headers parsed, the body being read) once it invites the rest.
    await until(() => response.includes("100 Continue"), "the relay's 100 Continue");
    relay.child.kill("SIGTERM");
    await until(() => relay.logs.some((entry) => entry.message === "stopping"), "the relay to start stopping");
    // The listener is closed: a new connection is refused.
    await assert.rejects(fetch(`http://127.0.0.1:${relay.port}/healthz`));
    socket.write(SEED_BODY.slice(half));
    await closed;
    assert.match(response, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200/);
    assert.match(response, /connection: close/i);
    assert.deepEqual(await relay.exited, { code: 0, signal: null });
    assert.equal(relay.lines.length, 1);
    assert.equal(JSON.parse(relay.lines[0] as string).data.CallSid, SEED_FIELDS[1]?.[1]);
    assert.equal(relay.logs.at(-1)?.message, "stopped");
  });

  test("SIGINT stops it too, with exit 0", async () => {
    const relay = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args: deadLetterArgs });
    relay.child.kill("SIGINT");
    assert.deepEqual(await relay.exited, { code: 0, signal: null });
  });

  test("a stalled in-flight request does not hold shutdown past --shutdown-timeout", async () => {
    const relay = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args: [...deadLetterArgs, "--shutdown-timeout", "300ms", "--sink-timeout", "100ms"] });
    const socket = connect({ port: relay.port, host: "127.0.0.1" });
    socket.on("error", () => {});
    let response = "";
    socket.on("data", (chunk: Buffer) => (response += chunk.toString("latin1")));
    socket.write(`POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\nContent-Type: ${FORM}\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\nCallSid=`);
    // In flight: the relay has it, and invites the rest of the body (which never comes).
    await until(() => response.includes("100 Continue"), "the relay's 100 Continue");
    relay.child.kill("SIGTERM");
    assert.deepEqual(await relay.exited, { code: 0, signal: null });
    assert.ok(relay.logs.some((entry) => entry.message === "shutdown timeout: closing connections with requests still in flight"));
    socket.destroy();
  });
});

describe("stdout as a pipe", () => {
  const denoBlocksOnStdout = "under Deno a write to a full stdout pipe blocks the whole process, so no 503 can be answered (docs/deno.md)";
  test("a reader that stops reading makes requests wait, then 503; every event answered 200 comes out once it reads again", { skip: isDeno && denoBlocksOnStdout }, async () => {
    const relay = await startChildRelay({
      env: { TELNYX_PUBLIC_KEY: keys.portalKey },
      args: [...deadLetterArgs, "--sink-timeout", "300ms"],
      readStdout: false,
    });
    const accepted = new Set<string>();
    let refused = 0;
    // Distinct events (different CallSid) until stdout's pipe and the relay's bounded buffer are
    // full and the relay starts answering 503. Bounded: at most 5,000 requests.
    const padding = "x".repeat(2000); // unknown fields are kept, so each line is ~2.6 KB
    for (let i = 0; i < 5000 && refused < 3; i++) {
      const body = encodeForm([...SEED_FIELDS.map(([n, v]): [string, string] => [n, n === "CallSid" ? `v3:call-${i}` : v]), ["Padding", padding]]);
      const answer = await postSigned(relay.url, keys.privateKey, body);
      if (answer.status === 200) accepted.add(outcomeOf(answer).id);
      else {
        assert.equal(answer.status, 503, answer.text);
        assert.equal(JSON.parse(answer.text).error, "sink_unavailable");
        refused++;
      }
    }
    assert.equal(refused, 3, "a blocked stdout must turn into 503 answers");
    assert.ok(accepted.size > 0);

    // The reader comes back: everything answered 200 must be there.
    const seen = new Set<string>();
    let pending = "";
    relay.child.stdout!.on("data", (chunk: Buffer) => {
      pending += chunk.toString();
      let end: number;
      while ((end = pending.indexOf("\n")) !== -1) {
        seen.add(JSON.parse(pending.slice(0, end)).id);
        pending = pending.slice(end + 1);
      }
    });
    relay.child.kill("SIGTERM");
    assert.deepEqual(await relay.exited, { code: 0, signal: null });
    for (const id of accepted) assert.ok(seen.has(id), `event ${id} was answered 200 but never written`);
  });

  test("a closed stderr silences the log but the relay goes on serving", async () => {
    const relay = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args: deadLetterArgs });
    try {
      relay.child.stderr!.destroy();
      // Refusals log a line each: with stderr gone, those writes fail (EPIPE) and must not kill it.
      for (let i = 0; i < 20; i++) assert.equal((await postSigned(relay.url, makeKeys().privateKey, SEED_BODY)).status, 401);
      assert.equal((await postSigned(relay.url, keys.privateKey, SEED_BODY)).status, 200);
      await relay.waitForLine(() => true);
    } finally {
      relay.child.kill("SIGTERM");
      assert.deepEqual(await relay.exited, { code: 0, signal: null });
    }
  });

  test("a dead letter that cannot be written: 503, and the log says why (the error, the path)", async () => {
    const file = join(dir, "dl-becomes-a-directory.jsonl");
    const relay = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args: ["--dead-letter-file", file] });
    try {
      // Passed the start-up check (a writable directory); then something else takes the name.
      mkdirSync(file);
      const invalid = encodeForm(SEED_FIELDS.map(([name, value]) => [name, name === "ReferCallStatus" ? "bogus" : value]));
      const answer = await postSigned(relay.url, keys.privateKey, invalid);
      assert.equal(answer.status, 503);
      await until(() => relay.logs.some((entry) => entry.message === "dead-letter file cannot be written"));
      const logged = relay.logs.find((entry) => entry.message === "dead-letter file cannot be written");
      assert.equal(logged?.level, "error");
      assert.equal(logged?.path, file);
      assert.match(String(logged?.error), /EISDIR|directory/i);
    } finally {
      relay.child.kill("SIGTERM");
      await relay.exited;
    }
  });

  test("a reader that goes away (EPIPE) ends the relay with exit 1 and a log line", async () => {
    const relay = await startChildRelay({ env: { TELNYX_PUBLIC_KEY: keys.portalKey }, args: deadLetterArgs, readStdout: false });
    relay.child.stdout!.destroy();
    // The relay notices when it next writes.
    const answer = await postSigned(relay.url, keys.privateKey, SEED_BODY).catch(() => undefined);
    if (answer) assert.notEqual(answer.status, 200, "an event that could not be written must not be answered 200");
    const exit = await relay.exited;
    assert.equal(exit.code, 1);
    assert.ok(relay.logs.some((entry) => entry.message === "stdout failed; stopping" && entry.error === "EPIPE"), JSON.stringify(relay.logs));
  });
});
