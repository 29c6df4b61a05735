// What the FROM-scratch container image holds besides the binary, staged as a directory tree the
// Containerfile copies to `/`. No base image can be pulled where this is built (MACHINE.md), so the
// image is assembled from this machine's files.
import { execFileSync } from "node:child_process";
import { copyFileSync, linkSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/** The image's non-root user and group (a fixed id, so a pod spec's runAsUser can name it). */
export const IMAGE_UID = 10001;
/** Where the image keeps the dead-letter file (and a spool): a directory the user owns. */
export const IMAGE_STATE_DIR = "/var/lib/telnyx-relay";

// The system CA bundle (Debian's ca-certificates). Node verifies TLS with its own built-in Mozilla
// roots; the bundle is there for NODE_EXTRA_CA_CERTS / NODE_USE_SYSTEM_CA=1 and forwarding to a
// downstream behind a private CA appended to it.
const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
/** Where the image keeps the binary (the Containerfile's ENTRYPOINT and HEALTHCHECK name it). */
export const IMAGE_BINARY = "/usr/local/bin/telnyx-relay";

/** A binary of another architecture: how to run its programs here, and where its libraries are. */
export interface Cross {
  /** The emulator and its arguments (`qemu-aarch64-static -L /usr/aarch64-linux-gnu`). */
  readonly runner: readonly string[];
  /** The cross sysroot the libraries are copied from (`/usr/aarch64-linux-gnu`). */
  readonly sysroot: string;
}

/**
 * Stages a root filesystem for `binary`: the binary itself at {@link IMAGE_BINARY} (a hard link),
 * every shared library `ldd` lists and the dynamic loader (at the paths `ldd` names, the files they
 * point to copied), the CA bundle, `/etc/passwd`, `/etc/group` and `/etc/nsswitch.conf` with the
 * user `telnyx-relay` (uid/gid {@link IMAGE_UID}), and the empty state directory
 * {@link IMAGE_STATE_DIR}. For a binary of another architecture (`cross`), the libraries are listed
 * by the sysroot's own dynamic loader (`ld.so --list`, what `ldd` runs) under the emulator, and
 * copied from the sysroot.
 *
 * @param binary The executable whose libraries are staged.
 * @param dir The directory to fill; emptied first.
 * @param cross For a binary of another architecture: its emulator and sysroot.
 * @returns The paths staged, relative to `dir`.
 * @throws Error when `ldd` cannot list the libraries or a file is missing.
 * @example
 * ```ts
 * stageRootfs("dist/telnyx-relay", "dist/rootfs-amd64"); // ["lib/x86_64-linux-gnu/libc.so.6", …]
 * ```
 */
export function stageRootfs(binary: string, dir: string, cross?: Cross): string[] {
  rmSync(dir, { recursive: true, force: true });
  const put = (path: string, from: string | { text: string }): void => {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    if (typeof from === "string") copyFileSync(from, target);
    else writeFileSync(target, from.text, { mode: 0o644 });
  };

  mkdirSync(join(dir, dirname(IMAGE_BINARY)), { recursive: true });
  linkSync(binary, join(dir, IMAGE_BINARY));
  for (const { path, from } of sharedLibraries(binary, cross)) put(path, from);
  put(CA_BUNDLE, CA_BUNDLE);
  put("/etc/passwd", { text: `telnyx-relay:x:${IMAGE_UID}:${IMAGE_UID}:telnyx-relay:/nonexistent:/sbin/nologin\n` });
  put("/etc/group", { text: `telnyx-relay:x:${IMAGE_UID}:\n` });
  // glibc's default without this file consults DNS before /etc/hosts.
  put("/etc/nsswitch.conf", { text: "passwd: files\ngroup: files\nhosts: files dns\n" });
  mkdirSync(join(dir, IMAGE_STATE_DIR), { recursive: true });
  return listFiles(dir).map((path) => relative(dir, path));
}

/** The libraries and loader `ldd` lists (the vDSO has no file): where the image has them, and the file to copy. */
function sharedLibraries(binary: string, cross: Cross | undefined): Array<{ path: string; from: string }> {
  let output: string;
  if (cross === undefined) output = execFileSync("ldd", [binary], { encoding: "utf8" });
  else {
    const loader = readdirSync(join(cross.sysroot, "lib")).find((name) => name.startsWith("ld-linux"));
    if (loader === undefined) throw new Error(`${cross.sysroot}/lib holds no dynamic loader`);
    const [emulator = "", ...args] = cross.runner;
    output = execFileSync(emulator, [...args, join(cross.sysroot, "lib", loader), "--list", binary], { encoding: "utf8" });
  }
  const libraries: Array<{ path: string; from: string }> = [];
  for (const line of output.split("\n")) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)", "/lib64/ld-linux-x86-64.so.2 (0x…)", and
    // under the emulator "libc.so.6 => /lib/libc.so.6 (0x…)" (a path inside the sysroot) and
    // "/lib/ld-linux-aarch64.so.1 => /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 (0x…)".
    const match = /^\s*(?:(\S+) => )?(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (match?.[2]) {
      const [, name, file] = match as unknown as [string, string | undefined, string];
      const path = name?.startsWith("/") ? name : file;
      const inSysroot = cross !== undefined && !file.startsWith(`${cross.sysroot}/`);
      libraries.push({ path, from: inSysroot ? join(cross.sysroot, file) : file });
    } else if (line.includes("not found")) throw new Error(`ldd ${binary}: ${line.trim()}`);
  }
  if (!libraries.some(({ path }) => path.includes("ld-linux"))) throw new Error(`ldd ${binary} names no dynamic loader:\n${output}`);
  return libraries;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .sort();
}
