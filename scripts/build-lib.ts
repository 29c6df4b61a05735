// npm run build:lib (and `prepack`, so `npm pack`/`npm publish` run it): the installable package's
// JavaScript. tsc compiles src/ to dist/npm/ (tsconfig.build.json): ESM, one .js and one .d.ts per
// source file, relative `.ts` imports rewritten to `.js`. tsc rather than esbuild + `tsc
// --emitDeclarationOnly`: the sources are erasable TypeScript, so tsc's output is the source less
// its types (comments and JSDoc kept, nothing bundled or renamed), the .d.ts come from the same run,
// and no second tool's idea of the module graph can drift from the type checker's.
// tsc rewrites `.ts` to `.js` in the JavaScript but keeps `.ts` in the .d.ts imports; TypeScript 7
// resolves those to the .d.ts, but a consumer's older tsc may reject a `.ts` path (TS5097), so they
// are rewritten to the `.js` form every TypeScript with `module: nodenext` expects.
// Then the library's own graph (src/index.ts) is type-checked against Node 20's ECMAScript library
// (tsconfig.node20.json): the package's `engines` says Node 20 for the library.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
// The typescript dev dependency's tsc (npm scripts also find it on PATH; this runs outside npm too).
const tsc = join(ROOT, "node_modules", ".bin", "tsc");
const run = (project: string): void => void execFileSync(tsc, ["-p", join(ROOT, project)], { stdio: "inherit", cwd: ROOT });

rmSync(join(ROOT, "dist", "npm"), { recursive: true, force: true });
run("tsconfig.build.json");
const declarations = readdirSync(join(ROOT, "dist", "npm"), { recursive: true, encoding: "utf8" }).filter((name) => name.endsWith(".d.ts"));
for (const name of declarations) {
  const path = join(ROOT, "dist", "npm", name);
  // Relative specifiers only: `from "./x.ts"`, `from "../x/y.ts"`, `import("./x.ts")`.
  writeFileSync(path, readFileSync(path, "utf8").replace(/((?:from |import\()"\.\.?\/[^"]*)\.ts"/g, '$1.js"'));
}
run("tsconfig.node20.json");
process.stderr.write("build:lib: dist/npm/ (ESM + .d.ts); the library's graph type-checks against ES2023 (Node 20)\n");
