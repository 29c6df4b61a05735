#!/usr/bin/env node
// The npm `bin` entry. The installed package runs the compiled relay (dist/npm/main.js, made by
// `npm run build:lib`, which `npm pack` runs first; the tarball holds no src/). In a clone (`npm
// link`, `npx telnyx-relay`), where src/ is beside it, it runs the TypeScript sources when this Node
// strips types (Node 22.18+ and 24 do by default), so a stale dist/npm/ is never what runs there.
//
// The relay server and its commands (keygen, send, replay) need Node.js 22 or later (Promise.withResolvers
// and the other APIs of Node 22; CI runs them on Node 22 and 24). The library, `import … from
// "telnyx-relay"`, runs on Node 20.12+: on an older Node this says so and exits 2, before loading
// anything.
import { existsSync } from "node:fs";
import process from "node:process";

const [major] = process.versions.node.split(".").map(Number);
const fail = (message) => {
  process.stderr.write(`telnyx-relay: ${message}\n`);
  process.exit(2);
};
if (major < 22) {
  fail(
    `the relay needs Node.js 22 or later (this is ${process.version}); ` +
      `the library (import from "telnyx-relay") works on Node 20.12 and later, ` +
      `and the single executable needs no Node at all`,
  );
}
const source = new URL("../src/main.ts", import.meta.url);
const compiled = new URL("../dist/npm/main.js", import.meta.url);
// process.features.typescript: "strip" or "transform" where type stripping is on (Node 22.18+).
if (existsSync(source) && process.features.typescript) await import(source.href);
else if (existsSync(compiled)) await import(compiled.href);
else fail(`in a clone, the relay needs a Node.js that strips types (22.18 or later; this is ${process.version}), or \`npm run build:lib\` first`);
