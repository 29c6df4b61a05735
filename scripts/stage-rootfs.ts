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

/** The libraries and loader `ldd` lists for `binary` (under the emulator for another architecture). */
function sharedLibraries(binary: string, cross: Cross | undefined): StagedLibrary[] {
  if (cross === undefined) return librariesFromLdd(execFileSync("ldd", [binary], { encoding: "utf8" }), binary);
  const loader = readdirSync(join(cross.sysroot, "lib")).find((name) => name.startsWith("ld-linux"));
  if (loader === undefined) throw new Error(`${cross.sysroot}/lib holds no dynamic loader`);
  const [emulator = "", ...args] = cross.runner;
  const output = execFileSync(emulator, [...args, join(cross.sysroot, "lib", loader), "--list", binary], { encoding: "utf8" });
  return librariesFromLdd(output, binary, cross.sysroot);
}

/** A shared library or the dynamic loader, as the image holds it. */
export interface StagedLibrary {
  /** Its absolute path in the image (where the loader looks for it). */
  readonly path: string;
  /** The file on this machine to copy there. */
  readonly from: string;
}

/**
 * Reads `ldd`'s listing (or a dynamic loader's `--list`, which is what `ldd` runs): each library and
 * the loader, with the path the image must hold it at and the file to copy. The vDSO has no file
 * and is skipped. Under qemu with `-L sysroot`, paths the loader names are inside the sysroot (and
 * a path it resolved to the sysroot's own file is the image's path without the sysroot prefix).
 *
 * @param output What `ldd` printed.
 * @param binary The binary it was run on (for error messages).
 * @param sysroot The cross sysroot the paths are relative to, for a binary of another architecture.
 * @returns The libraries and loader, in `ldd`'s order.
 * @throws Error when a library is "not found" or no dynamic loader is listed.
 * @example
 * ```ts
 * librariesFromLdd("\tlibc.so.6 => /lib/libc.so.6 (0x1)\n\t/lib/ld-linux-aarch64.so.1 => /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 (0x2)\n", "node", "/usr/aarch64-linux-gnu");
 * // [{ path: "/lib/libc.so.6", from: "/usr/aarch64-linux-gnu/lib/libc.so.6" },
 * //  { path: "/lib/ld-linux-aarch64.so.1", from: "/usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1" }]
 * ```
 */
export function librariesFromLdd(output: string, binary: string, sysroot?: string): StagedLibrary[] {
  const libraries: StagedLibrary[] = [];
  for (const line of output.split("\n")) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)", "/lib64/ld-linux-x86-64.so.2 (0x…)", and
    // under the emulator "libc.so.6 => /lib/libc.so.6 (0x…)" (a path inside the sysroot) and
    // "/lib/ld-linux-aarch64.so.1 => /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 (0x…)".
    const match = /^\s*(?:(\S+) => )?(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (match?.[2] !== undefined) {
      const [, name, file] = match as unknown as [string, string | undefined, string];
      const named = name?.startsWith("/") ? name : file;
      if (sysroot === undefined) libraries.push({ path: named, from: file });
      else {
        // The image has no sysroot: a path the loader resolved into it is the path under it.
        const path = named.startsWith(`${sysroot}/`) ? named.slice(sysroot.length) : named;
        libraries.push({ path, from: file.startsWith(`${sysroot}/`) ? file : join(sysroot, file) });
      }
    } else if (line.includes("not found")) throw new Error(`ldd ${binary}: ${line.trim()}`);
  }
  if (!libraries.some(({ path }) => path.includes("/ld-linux"))) throw new Error(`ldd ${binary} names no dynamic loader:\n${output}`);
  return libraries;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .sort();
}
