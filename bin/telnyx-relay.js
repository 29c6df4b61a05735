#!/usr/bin/env node
// The npm `bin` entry. The installed package runs the compiled relay (dist/npm/main.js, made by
// `npm run build:lib`, which `npm pack` runs first; the tarball holds no src/). In a clone (`npm
// link`), where src/ is beside it, it runs the TypeScript sources with Node's type stripping, so a
// stale dist/npm/ is never what runs there.
//
// The relay server needs Node.js 24 or later (the version it is tested on; its spool and HTTPS
// forwarding use APIs of Node 22+). The library, `import … from "telnyx-relay"`, runs on Node 20.12+:
// on an older Node this says so and exits 2, before loading anything.
import { existsSync } from "node:fs";

const [major] = process.versions.node.split(".").map(Number);
if (major < 24) {
  process.stderr.write(
    `telnyx-relay: the relay needs Node.js 24 or later (this is ${process.version}); ` +
      `the library (import from "telnyx-relay") works on Node 20.12 and later, ` +
      `and the single executable needs no Node at all\n`,
  );
  process.exit(2);
}
const source = new URL("../src/main.ts", import.meta.url);
await import(existsSync(source) ? source.href : new URL("../dist/npm/main.js", import.meta.url).href);
