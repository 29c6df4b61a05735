// What the FROM-scratch container image holds besides the binary, staged as a directory tree the
// Containerfile copies to `/`. No base image can be pulled where this is built (MACHINE.md), so the
// image is assembled from this machine's files.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";

/** The image's non-root user and group (a fixed id, so a pod spec's runAsUser can name it). */
export const IMAGE_UID = 10001;
/** Where the image keeps the dead-letter file (and a spool): a directory the user owns. */
export const IMAGE_STATE_DIR = "/var/lib/telnyx-relay";

// The system CA bundle (Debian's ca-certificates). Node verifies TLS with its own built-in Mozilla
// roots; the bundle is there for NODE_EXTRA_CA_CERTS / NODE_USE_SYSTEM_CA=1 and forwarding to a
// downstream behind a private CA appended to it.
const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";

/**
 * Stages a root filesystem for `binary`: every shared library `ldd` lists and the dynamic loader
 * (at the paths `ldd` names, the files they point to copied), the CA bundle, `/etc/passwd`,
 * `/etc/group` and `/etc/nsswitch.conf` with the user `telnyx-relay` (uid/gid {@link IMAGE_UID}),
 * and the empty state directory {@link IMAGE_STATE_DIR}.
 *
 * @param binary The executable whose libraries are staged.
 * @param dir The directory to fill; emptied first.
 * @returns The paths staged, relative to `dir`.
 * @throws Error when `ldd` cannot list the libraries or a file is missing.
 * @example
 * ```ts
 * stageRootfs("dist/telnyx-relay", "dist/rootfs"); // ["lib/x86_64-linux-gnu/libc.so.6", …]
 * ```
 */
export function stageRootfs(binary: string, dir: string): string[] {
  rmSync(dir, { recursive: true, force: true });
  const put = (path: string, from: string | { text: string }): void => {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    if (typeof from === "string") copyFileSync(from, target);
    else writeFileSync(target, from.text, { mode: 0o644 });
  };

  for (const library of sharedLibraries(binary)) put(library, library);
  put(CA_BUNDLE, CA_BUNDLE);
  put("/etc/passwd", { text: `telnyx-relay:x:${IMAGE_UID}:${IMAGE_UID}:telnyx-relay:/nonexistent:/sbin/nologin\n` });
  put("/etc/group", { text: `telnyx-relay:x:${IMAGE_UID}:\n` });
  // glibc's default without this file consults DNS before /etc/hosts.
  put("/etc/nsswitch.conf", { text: "passwd: files\ngroup: files\nhosts: files dns\n" });
  mkdirSync(join(dir, IMAGE_STATE_DIR), { recursive: true });
  return listFiles(dir).map((path) => relative(dir, path));
}

/** The absolute paths of the libraries and loader `ldd` lists (the vDSO has no file). */
function sharedLibraries(binary: string): string[] {
  const output = execFileSync("ldd", [binary], { encoding: "utf8" });
  const paths: string[] = [];
  for (const line of output.split("\n")) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)" or "/lib64/ld-linux-x86-64.so.2 (0x…)"
    const match = /^\s*(?:\S+ => )?(\/\S+) \(0x[0-9a-f]+\)$/.exec(line);
    if (match?.[1]) paths.push(match[1]);
    else if (line.includes("not found")) throw new Error(`ldd ${binary}: ${line.trim()}`);
  }
  if (!paths.some((path) => path.includes("ld-linux"))) throw new Error(`ldd ${binary} names no dynamic loader:\n${output}`);
  return paths;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .map((name) => join(dir, name))
    .filter((path) => statSync(path).isFile())
    .sort();
}
