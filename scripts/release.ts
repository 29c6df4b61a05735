// npm run release (after npm run build and npm run build -- --arch arm64): what a release holds, in
// dist/, with dist/SHA256SUMS over all of it (sha256sum's format: `sha256sum --check SHA256SUMS`):
//   - telnyx-relay                   the single executable, Linux x86-64 (npm run build)
//   - telnyx-relay-linux-arm64       the single executable, Linux arm64 (npm run build -- --arch arm64)
//   - telnyx-relay-<version>.tgz     the npm package (npm pack: dist/npm/ + bin, built by prepack)
// The container image (linux/amd64 + linux/arm64) is built from dist/ by the Containerfile; its
// identity is its image digest.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";

const ROOT = join(import.meta.dirname, "..");
const DIST = join(ROOT, "dist");
const { version } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };

const BINARIES = { "telnyx-relay": "npm run build", "telnyx-relay-linux-arm64": "npm run build -- --arch arm64" };
for (const [name, command] of Object.entries(BINARIES)) {
  if (!existsSync(join(DIST, name))) throw new Error(`dist/${name} is missing: run ${command} first`);
}
const [packed] = JSON.parse(execFileSync("npm", ["pack", "--json", "--pack-destination", DIST], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] })) as Array<{ filename: string }>;
if (packed?.filename !== `telnyx-relay-${version}.tgz`) throw new Error(`npm pack made ${packed?.filename}, not telnyx-relay-${version}.tgz`);

const artifacts = [...Object.keys(BINARIES), packed.filename];
const sums = artifacts.map((name) => `${createHash("sha256").update(readFileSync(join(DIST, name))).digest("hex")}  ${name}\n`).join("");
writeFileSync(join(DIST, "SHA256SUMS"), sums);
process.stdout.write(sums);
process.stderr.write(`release: dist/SHA256SUMS over ${artifacts.length} artifacts\n`);
