// The container image, end to end (CI runs it after `podman build`): start the image with a fresh
// Ed25519 public key in its environment, POST the seed event signed with the private half, and
// check the 200, the event line on the container's stdout, the image's own HEALTHCHECK, a dead
// letter written as the non-root user, and a clean exit on SIGTERM.
//
//   node scripts/container-smoke.ts --image telnyx-relay:ci [--engine "podman --runtime runc"]
//   node scripts/container-smoke.ts --image telnyx-relay:ci --platform linux/arm64 --qemu /usr/bin/qemu-aarch64-static
//
// The container shares the host's network (`--network host`) and listens on a free port.
// --platform picks that platform's image from a manifest list (podman build --manifest). --qemu
// runs an image of another architecture where the kernel has no binfmt_misc entry for it: the
// static emulator is mounted into the container as /qemu and made the entrypoint, so it is the
// image's own binary and shared libraries that run (the HEALTHCHECK, run on demand, goes through
// /qemu too; the image's own HEALTHCHECK is still checked as configured).
import { spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:net";
import process from "node:process";
import { parseArgs } from "node:util";
import { signDelivery } from "../src/crypto/sign.ts";
import { encodeForm, SEED_BODY, SEED_FIELDS } from "./seed-event.ts";
import { IMAGE_BINARY } from "./stage-rootfs.ts";

const { values: options } = parseArgs({
  options: {
    image: { type: "string", default: "telnyx-relay:ci" },
    engine: { type: "string", default: "podman" },
    platform: { type: "string" },
    qemu: { type: "string" },
  },
  strict: true,
});
const [engine, ...engineArgs] = options.engine.split(/\s+/) as [string, ...string[]];
const name = `telnyx-relay-smoke-${process.pid}`;
const say = (text: string): void => void process.stderr.write(`container-smoke: ${text}\n`);

/** Runs the container engine; throws with its output unless it exits 0 (or `allowFailure`). */
function run(args: string[], allowFailure = false): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(engine, [...engineArgs, ...args], { encoding: "utf8" });
  if (result.error) throw result.error;
  if (result.status !== 0 && !allowFailure) throw new Error(`${engine} ${args.join(" ")} exited ${result.status}:\n${result.stdout}${result.stderr}`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`failed: ${what}`);
  say(`ok: ${what}`);
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

const { publicKey, privateKey } = generateKeyPairSync("ed25519");
// As Telnyx's portal shows it: base64 of the raw 32 bytes (the SPKI DER minus its 12-byte prefix).
const portalKey = publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const post = async (body: string, headers: Record<string, string>): Promise<{ status: number; json: Record<string, unknown> }> => {
  const response = await fetch(`${base}/webhooks/telnyx`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body });
  // A TeXML callback's 200 is a TeXML document with the outcome in the relay's headers; refusals are JSON.
  const text = await response.text();
  const outcome = response.headers.get("telnyx-relay-status");
  return { status: response.status, json: outcome === null ? (JSON.parse(text) as Record<string, unknown>) : { status: outcome, id: response.headers.get("telnyx-relay-event-id") } };
};
const signed = (body: string): Record<string, string> => ({ ...signDelivery(privateKey, body, Math.floor(Date.now() / 1000)) });

/** `image`, or for --platform its instance in the manifest list, by digest. */
function imageForPlatform(image: string, platform: string | undefined): string {
  if (platform === undefined) return image;
  const [os, architecture] = platform.split("/");
  const list = JSON.parse(run(["manifest", "inspect", image]).stdout) as { manifests?: Array<{ digest: string; platform?: { os?: string; architecture?: string } }> };
  const found = list.manifests?.find((entry) => entry.platform?.os === os && entry.platform?.architecture === architecture);
  if (found === undefined) throw new Error(`${image} has no ${platform} image: ${JSON.stringify(list.manifests?.map((entry) => entry.platform))}`);
  return `${image.replace(/:[^:/]+$/, "")}@${found.digest}`;
}
const image = imageForPlatform(options.image, options.platform);

const [inspected] = JSON.parse(run(["image", "inspect", image]).stdout) as Array<{
  Architecture?: string;
  Config?: { User?: string; ExposedPorts?: Record<string, unknown>; Healthcheck?: { Test?: string[] } };
  Healthcheck?: { Test?: string[] };
}>;
const config = inspected?.Config ?? {};
if (options.platform !== undefined) check(`linux/${inspected?.Architecture}` === options.platform, `${image} is a ${options.platform} image (${inspected?.Architecture})`);
const healthcheck = JSON.stringify((config.Healthcheck ?? inspected?.Healthcheck)?.Test);
check(config.User === "10001:10001", `the image runs as the non-root user 10001 (User: ${config.User})`);
check(Object.keys(config.ExposedPorts ?? {}).includes("8080/tcp"), "the image exposes 8080/tcp");
check(healthcheck === '["CMD","/usr/local/bin/telnyx-relay","healthcheck"]', `the HEALTHCHECK runs the binary without a shell (${healthcheck})`);

say(`starting ${image} as ${name} on port ${port}${options.qemu === undefined ? "" : `, under ${options.qemu}`}`);
// The health check runs on demand below (`healthcheck run`): no timer, which needs systemd.
const healthFlags = engine.endsWith("podman") ? ["--health-interval", "disable"] : [];
const emulated =
  options.qemu === undefined
    ? { flags: [], command: [] }
    : {
        flags: ["--volume", `${options.qemu}:/qemu:ro`, "--entrypoint", "/qemu", "--health-cmd", JSON.stringify(["/qemu", IMAGE_BINARY, "healthcheck"])],
        command: [IMAGE_BINARY],
      };
const platformFlags = options.platform === undefined ? [] : ["--platform", options.platform];
run(["run", "-d", "--name", name, "--network", "host", ...platformFlags, ...healthFlags, ...emulated.flags, "-e", `TELNYX_PUBLIC_KEY=${portalKey}`, "-e", `TELNYX_RELAY_PORT=${port}`, image, ...emulated.command]);
try {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = await fetch(`${base}/healthz`).then((response) => response.status, () => 0);
    if (status === 200) break;
    if (Date.now() > deadline) throw new Error(`no 200 on /healthz within 20 s; logs:\n${run(["logs", name], true).stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  check(true, "GET /healthz answers 200");
  if (engine.endsWith("podman")) check(run(["healthcheck", "run", name], true).status === 0, `the image's HEALTHCHECK (telnyx-relay healthcheck${options.qemu === undefined ? "" : ", through /qemu"}) passes`);

  const accepted = await post(SEED_BODY, signed(SEED_BODY));
  check(accepted.status === 200 && accepted.json.status === "accepted", `the signed seed event is answered 200 ${JSON.stringify(accepted.json)}`);
  const invalid = encodeForm(SEED_FIELDS.map(([field, value]): [string, string] => [field, field === "ReferCallStatus" ? "ringing" : value]));
  const refused = await post(invalid, signed(invalid));
  check(refused.status === 400 && refused.json.error === "invalid_event", `a signed invalid event is answered 400 invalid_event, so its dead letter was written (${refused.status})`);
  const unsigned = await post(SEED_BODY, {});
  check(unsigned.status === 401, `an unsigned delivery is answered 401 (${unsigned.status})`);

  // Give the log driver a moment to pick up the line.
  let stdout = "";
  for (let i = 0; i < 50 && !stdout.includes(String(accepted.json.id)); i++) {
    stdout = run(["logs", name]).stdout;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const lines = stdout.split("\n").filter((line) => line !== "");
  check(lines.length === 1, `the container's stdout holds exactly one line (${lines.length})`);
  const event = JSON.parse(lines[0] as string) as { id?: string; type?: string; data?: Record<string, string> };
  check(event.id === accepted.json.id && event.type === "com.telnyx.texml.refer.status", `it is the seed event's CloudEvent, id ${event.id}`);
  check(event.data?.CallSid === SEED_FIELDS[1]?.[1], "with the seed event's fields");

  run(["stop", "--time", "15", name]);
  const exitCode = run(["inspect", name, "--format", "{{.State.ExitCode}}"]).stdout.trim();
  check(exitCode === "0", `SIGTERM (${engine} stop) ends it with exit status 0 (${exitCode})`);
  const logs = run(["logs", name]).stderr;
  check(/"message":"stopped","why":"SIGTERM","exitCode":0/.test(logs), "its last log line is `stopped` after SIGTERM");
  say(`the image serves${options.platform === undefined ? "" : ` (${options.platform})`}: all checks passed`);
} finally {
  run(["rm", "--force", name], true);
}
