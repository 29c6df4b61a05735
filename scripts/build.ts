// npm run build: the single executable `dist/telnyx-relay` — a Node 24 SEA (single executable
// application) that needs nothing else on the machine: no node, no node_modules. With `--arch arm64`
// (on x86-64): `dist/telnyx-relay-linux-arm64`, from the arm64 Node of the same version run under qemu
// (scripts/target-node.ts says how that Node is fetched and checked).
//
//   1. esbuild bundles src/main.ts into one CommonJS file (a SEA's main script is one CJS script
//      whose `require` reaches only built-in modules).
//   2. The pinned Node of the target architecture (the `node` dev dependency's version, never
//      whatever is on PATH) turns it into a preparation blob: `node --experimental-sea-config`. The
//      blob and its code cache must be made by the same binary they are injected into.
//   3. A copy of that binary is stripped (~18 MB of symbols; the target's own strip) and the blob
//      injected with postject, which flips the SEA sentinel fuse.
//   4. <out>.sha256 (sha256sum's format) and dist/rootfs-<amd64|arm64>/ (the FROM-scratch image's
//      files for that platform: the binary, shared libraries, loader, CA bundle, passwd/group).
//
// Options: --arch x64|arm64 (default: this machine's). For measuring variants
// (scripts/startup-bench.ts, scripts/bench.ts): --[no-]code-cache, --[no-]snapshot, --semi-space MB,
// --out PATH, --no-rootfs. The defaults are what the measurements in the README chose.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, relative, resolve } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { build } from "esbuild";
import { SEMI_SPACE_MB } from "./semi-space.ts";
import { stageRootfs } from "./stage-rootfs.ts";
import { ARCHES, type Arch, runTarget, targetNode } from "./target-node.ts";

const ROOT = join(import.meta.dirname, "..");
const require = createRequire(import.meta.url);
// The fuse string Node 24 looks for (nodejs.org/api/single-executable-applications.html).
const SEA_FUSE = "NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2";

const { values: options } = parseArgs({
  options: {
    arch: { type: "string", default: process.arch },
    // Measured (docs/container.md, "The single executable"): the code cache saves ~2 ms of a ~39 ms start for
    // 30 KB; a snapshot is no faster than it and 7 MiB larger.
    "code-cache": { type: "boolean", default: true },
    snapshot: { type: "boolean", default: false },
    out: { type: "string" },
    rootfs: { type: "boolean", default: true },
    // V8's young generation, baked into the binary (sea-config execArgv, which NODE_OPTIONS does not
    // override). Left to itself, V8 grows it to 64 MB a half under load (RSS ~195 MB); see
    // scripts/semi-space.ts for the measurements.
    "semi-space": { type: "string", default: String(SEMI_SPACE_MB) },
  },
  allowNegative: true,
  strict: true,
});
if (!(ARCHES as readonly string[]).includes(options.arch)) throw new Error(`--arch ${options.arch}: expected one of ${ARCHES.join(", ")}`);
const arch = options.arch as Arch;
// The x64 name stays `telnyx-relay` (the tests, CI and the README's first steps use it).
const out = resolve(options.out ?? join(ROOT, "dist", arch === "x64" ? "telnyx-relay" : `telnyx-relay-linux-${arch}`));
const work = join(dirname(out), `.${basename(out)}.build`);
const step = (text: string): void => void process.stderr.write(`build: ${text}\n`);

const started = performance.now();
const target = targetNode(arch, join(ROOT, "dist", ".cache"));
const node = target.binary;
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

step("bundling src/main.ts (esbuild, one CommonJS file)");
const bundle = join(work, "main.cjs");
await build({
  entryPoints: [join(ROOT, "src", "main.ts")],
  outfile: bundle,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node24",
  // Identifiers are kept, so the stack of an "unexpected failure" stays readable.
  minifySyntax: true,
  minifyWhitespace: true,
  legalComments: "none",
  logLevel: "warning",
});

let main = bundle;
if (options.snapshot) {
  // A snapshot's main script runs at build time, so what the relay does at start-up must wait for
  // setDeserializeMainFunction: the bundle is wrapped in a function that runs then. The built-in
  // modules Node 24.21's snapshot builder supports are loaded into the snapshot beforehand
  // (node:http, node:https and node:tls are not: "not yet fully verified", or it aborts with
  // "CheckGlobalAndEternalHandles failed").
  main = join(work, "snapshot-main.cjs");
  const code = readFileSync(bundle, "utf8");
  const preload = ["node:crypto", "node:fs/promises", "node:net", "node:stream"].map((name) => `require("${name}");\n`).join("");
  writeFileSync(main, `${preload}require("node:v8").startupSnapshot.setDeserializeMainFunction(() => {\n${code}\n});\n`);
}

step(`making the SEA blob with ${[...target.runner, relative(ROOT, node)].join(" ")} (code cache: ${options["code-cache"]}, snapshot: ${options.snapshot})`);
const blob = join(work, "sea.blob");
const seaConfig = {
  main,
  output: blob,
  disableExperimentalSEAWarning: true,
  useCodeCache: options["code-cache"],
  useSnapshot: options.snapshot,
  execArgv: [`--max-semi-space-size=${Number(options["semi-space"])}`],
};
writeFileSync(join(work, "sea-config.json"), JSON.stringify(seaConfig));
runTarget(target, node, ["--experimental-sea-config", join(work, "sea-config.json")]);

step("copying and stripping the binary, injecting the blob (postject)");
const staged = join(work, "telnyx-relay");
copyFileSync(node, staged);
chmodSync(staged, 0o755);
if (target.strip === undefined) step(`no strip for ${arch} on PATH: the binary keeps its symbols (~18 MB more)`);
else execFileSync(target.strip, [staged]);
// postject is JavaScript: this Node runs it, whatever the target's architecture.
const postject = spawnSync(process.execPath, [require.resolve("postject/dist/cli.js"), staged, "NODE_SEA_BLOB", blob, "--sentinel-fuse", SEA_FUSE], {
  encoding: "utf8",
});
// Its output is shown only when it fails: LIEF (inside postject) warns about each note section of a
// stripped binary, which is nothing to act on.
if (postject.status !== 0) throw new Error(`postject failed with status ${postject.status}:\n${postject.stdout}${postject.stderr}`);

const version = runTarget(target, staged, ["--version"], {}).trim();
if (!/^telnyx-relay \S+ \(node v24\.\d+\.\d+\)$/.test(version)) throw new Error(`the built binary answers --version with: ${version}`);

rmSync(out, { force: true });
copyFileSync(staged, out);
chmodSync(out, 0o755);
const digest = createHash("sha256").update(readFileSync(out)).digest("hex");
writeFileSync(`${out}.sha256`, `${digest}  ${basename(out)}\n`);
rmSync(work, { recursive: true, force: true });
step(`${relative(ROOT, out)}: ${(statSync(out).size / 2 ** 20).toFixed(1)} MiB, sha256 ${digest}; ${version}`);

if (options.rootfs) {
  // Named as container platforms name architectures (the Containerfile's TARGETARCH).
  const rootfs = join(dirname(out), `rootfs-${arch === "x64" ? "amd64" : arch}`);
  const files = stageRootfs(out, rootfs, target.sysroot === undefined ? undefined : { runner: target.runner, sysroot: target.sysroot });
  step(`${relative(ROOT, rootfs)}/: ${files.length} files for the container image (see Containerfile)`);
}
step(`done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
