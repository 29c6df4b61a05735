// scripts/stage-rootfs.ts: what the FROM-scratch image holds. The listing parser is fed what `ldd`
// and the arm64 loader under qemu print (captured on the build machine); staging is run for real on
// a binary of this machine, and on an arm64 library under qemu where qemu and the sysroot are there.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";

import { IMAGE_BINARY, IMAGE_STATE_DIR, IMAGE_UID, librariesFromLdd, stageRootfs } from "../../scripts/stage-rootfs.ts";

const X64_LDD = `\tlinux-vdso.so.1 (0x00007f4060282000)
\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f406026c000)
\tlibstdc++.so.6 => /lib/x86_64-linux-gnu/libstdc++.so.6 (0x00007f4060000000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f405fd3e000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f4060284000)
`;
// qemu-aarch64-static -L /usr/aarch64-linux-gnu /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 --list node
const ARM64_LIST = `\t (0x0000000000400000)
\tlibdl.so.2 => /lib/libdl.so.2 (0x0000005502850000)
\tlibstdc++.so.6 => /lib/libstdc++.so.6 (0x0000005502880000)
\tlibc.so.6 => /lib/libc.so.6 (0x0000005502bc0000)
\t/lib/ld-linux-aarch64.so.1 => /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 (0x0000005500000000)
`;
const SYSROOT = "/usr/aarch64-linux-gnu";

describe("librariesFromLdd", () => {
  test("ldd on this machine: each library at the path ldd names, the loader too, the vDSO skipped", () => {
    assert.deepEqual(librariesFromLdd(X64_LDD, "node"), [
      { path: "/lib/x86_64-linux-gnu/libdl.so.2", from: "/lib/x86_64-linux-gnu/libdl.so.2" },
      { path: "/lib/x86_64-linux-gnu/libstdc++.so.6", from: "/lib/x86_64-linux-gnu/libstdc++.so.6" },
      { path: "/lib/x86_64-linux-gnu/libc.so.6", from: "/lib/x86_64-linux-gnu/libc.so.6" },
      { path: "/lib64/ld-linux-x86-64.so.2", from: "/lib64/ld-linux-x86-64.so.2" },
    ]);
  });

  test("the arm64 loader under qemu: paths as the image has them, files copied from the sysroot", () => {
    assert.deepEqual(librariesFromLdd(ARM64_LIST, "node", SYSROOT), [
      { path: "/lib/libdl.so.2", from: `${SYSROOT}/lib/libdl.so.2` },
      { path: "/lib/libstdc++.so.6", from: `${SYSROOT}/lib/libstdc++.so.6` },
      { path: "/lib/libc.so.6", from: `${SYSROOT}/lib/libc.so.6` },
      // The interpreter the binary names, not the sysroot path qemu resolved it to.
      { path: "/lib/ld-linux-aarch64.so.1", from: `${SYSROOT}/lib/ld-linux-aarch64.so.1` },
    ]);
  });

  test("a path the loader resolved into the sysroot is the image's path under it (a library's own loader entry)", () => {
    const listing = `\tlibc.so.6 => /lib/libc.so.6 (0x0000005502bc0000)\n\t${SYSROOT}/lib/ld-linux-aarch64.so.1 (0x0000005500000000)\n`;
    assert.deepEqual(librariesFromLdd(listing, "libstdc++.so.6", SYSROOT), [
      { path: "/lib/libc.so.6", from: `${SYSROOT}/lib/libc.so.6` },
      { path: "/lib/ld-linux-aarch64.so.1", from: `${SYSROOT}/lib/ld-linux-aarch64.so.1` },
    ]);
  });

  test("a library that is not found is an error naming it", () => {
    assert.throws(() => librariesFromLdd(`${X64_LDD}\tlibfoo.so.1 => not found\n`, "node"), /ldd node: libfoo\.so\.1 => not found/);
  });

  test("a listing with no dynamic loader is an error (a static binary, or not a binary at all)", () => {
    assert.throws(() => librariesFromLdd("\tnot a dynamic executable\n", "node"), /names no dynamic loader/);
    assert.throws(() => librariesFromLdd(X64_LDD.replace(/.*ld-linux.*\n/, ""), "node"), /names no dynamic loader/);
  });
});

describe("stageRootfs", () => {
  const work = mkdtempSync(join(tmpdir(), "telnyx-relay-rootfs-"));
  after(() => rmSync(work, { recursive: true, force: true }));

  test("a binary of this machine: the binary, its libraries and loader, the CA bundle, the user and the state directory", () => {
    // A copy, so the binary can be hard-linked into the tree (same filesystem).
    const binary = join(work, "ls");
    copyFileSync(execFileSync("sh", ["-c", "command -v ls"], { encoding: "utf8" }).trim(), binary);
    const dir = join(work, "rootfs");
    const files = stageRootfs(binary, dir);

    assert.ok(files.includes(IMAGE_BINARY.slice(1)), `${IMAGE_BINARY} is staged`);
    assert.equal(statSync(join(dir, IMAGE_BINARY)).ino, statSync(binary).ino, "the binary is a hard link, not a second copy");
    for (const { path } of librariesFromLdd(execFileSync("ldd", [binary], { encoding: "utf8" }), binary)) {
      assert.ok(files.includes(path.slice(1)), `${path} (listed by ldd) is staged`);
    }
    assert.ok(files.includes("etc/ssl/certs/ca-certificates.crt"));
    assert.match(readFileSync(join(dir, "etc/passwd"), "utf8"), new RegExp(`^telnyx-relay:x:${IMAGE_UID}:${IMAGE_UID}:`));
    assert.ok(statSync(join(dir, IMAGE_STATE_DIR)).isDirectory());
  });

  const qemu = ["/usr/bin/qemu-aarch64-static", SYSROOT].every((path) => existsSync(path));
  test("an arm64 file under qemu: the libraries the sysroot's loader lists, copied from the sysroot", { skip: !qemu && "needs qemu-user-static and libc6-arm64-cross (apt-get)" }, () => {
    // libstdc++ stands in for the binary: the loader lists its dependencies the same way.
    const binary = join(work, "libstdc++.so.6");
    copyFileSync(join(SYSROOT, "lib", "libstdc++.so.6"), binary);
    const dir = join(work, "rootfs-arm64");
    const files = stageRootfs(binary, dir, { runner: ["/usr/bin/qemu-aarch64-static", "-L", SYSROOT], sysroot: SYSROOT });
    for (const path of ["lib/libc.so.6", "lib/libm.so.6", "lib/ld-linux-aarch64.so.1"]) {
      assert.ok(files.includes(path), `${path} is staged (${files.join(", ")})`);
      assert.deepEqual(readFileSync(join(dir, path)), readFileSync(join(SYSROOT, path)), `${path} is the sysroot's`);
    }
    assert.ok(!files.some((path) => path.includes("x86_64")), "nothing of this machine's own libraries");
  });
});
