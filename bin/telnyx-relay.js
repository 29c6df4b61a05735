#!/usr/bin/env node
// The npm `bin` entry: runs the TypeScript sources with Node's type stripping (Node 24 or later).
// Node refuses to strip types inside node_modules, so this works from a clone or `npm link`; the
// single executable (npm run build) is the way to run telnyx-relay without Node at all.
const [major] = process.versions.node.split(".").map(Number);
if (major < 24) {
  process.stderr.write(`telnyx-relay: needs Node.js 24 or later to run from source (this is ${process.version})\n`);
  process.exit(2);
}
await import("../src/main.ts");
