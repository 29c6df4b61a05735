// Fails on an import cycle in src/: `node scripts/check-imports.ts [dir]` (run by `npm test` before the
// suite). It reads the import statements of every .ts file under the directory (static `import … from`,
// `import "…"`, `export … from` and dynamic `import("…")`, type-only imports included: they tie the
// code together as much as the others), follows the relative ones, and names every cycle between files
// (exit 1) and every cycle between folders: a folder importing a folder that imports it back, with a
// file import behind each step (a warning; exit 1 with --folders).
// No dependency: a small scanner drops comments first, so an `import(…)` in a JSDoc example is not
// taken for one.
import { readdirSync, readFileSync } from "node:fs";
import process from "node:process";
import { dirname, join, posix, relative, sep } from "node:path";

/** One cycle: a shortest loop through one strongly connected group, and the whole group. */
export interface Cycle {
  /** Names along the loop, the first repeated at the end. */
  readonly loop: string[];
  /** Everything tied into the same knot (the loop's names, and maybe more), sorted. */
  readonly members: string[];
  /** For folder cycles: for each step of the loop, one file import that makes it (`a/x.ts → b/y.ts`). */
  readonly via: string[];
}

/** The cycles found in one tree. */
export interface ImportCycles {
  readonly files: Cycle[];
  readonly folders: Cycle[];
}

const STATIC = /(?:^|[;}\n])\s*(?:import|export)\s+(?:type\s+)?(?:[\w$*{},\s]+?\s+from\s+)?["']([^"'\n]+)["']/g;
const DYNAMIC = /\bimport\s*\(\s*["']([^"'\n]+)["']\s*\)/g;

/**
 * The module specifiers a TypeScript source imports, comments ignored.
 *
 * @param source The file's text.
 * @returns Every specifier, in order of appearance (static ones first).
 * @example
 * ```ts
 * importsOf('import { a } from "./a.ts";\nconst b = await import("./b.ts");'); // ["./a.ts", "./b.ts"]
 * ```
 */
export function importsOf(source: string): string[] {
  const code = stripComments(source);
  return [...code.matchAll(STATIC), ...code.matchAll(DYNAMIC)].map((match) => match[1] as string);
}

/**
 * Finds the import cycles among a set of files, and among the folders that hold them.
 *
 * @param sources File path (relative, `/`-separated) → its text.
 * @returns The file cycles and the folder cycles (a file at the top belongs to folder ".").
 * @example
 * ```ts
 * findImportCycles(new Map([["a.ts", 'import "./b.ts";'], ["b.ts", 'import "./a.ts";']])).files[0]?.loop; // ["a.ts", "b.ts", "a.ts"]
 * ```
 */
export function findImportCycles(sources: ReadonlyMap<string, string>): ImportCycles {
  const fileEdges = new Map<string, Set<string>>();
  const folderEdges = new Map<string, Set<string>>();
  // One file import behind each folder edge, to name it.
  const witness = new Map<string, string>();
  for (const [file, source] of sources) {
    const targets = new Set<string>();
    for (const specifier of importsOf(source)) {
      if (!specifier.startsWith(".")) continue;
      const target = posix.normalize(posix.join(posix.dirname(file), specifier));
      if (sources.has(target)) targets.add(target);
    }
    fileEdges.set(file, targets);
    const from = posix.dirname(file);
    const folders = folderEdges.get(from) ?? new Set<string>();
    for (const target of targets) {
      const to = posix.dirname(target);
      if (to === from) continue;
      folders.add(to);
      if (!witness.has(`${from} ${to}`)) witness.set(`${from} ${to}`, `${file} → ${target}`);
    }
    folderEdges.set(from, folders);
  }
  const files = cyclesOf(fileEdges).map((members) => ({ loop: loopWithin(members, fileEdges), members, via: [] }));
  const folders = cyclesOf(folderEdges).map((members) => {
    const loop = loopWithin(members, folderEdges);
    return { loop, members, via: loop.slice(1).map((to, i) => witness.get(`${loop[i]} ${to}`) as string) };
  });
  return { files, folders };
}

/** The strongly connected components of more than one node (or with a self-loop), each sorted. */
function cyclesOf(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  // Tarjan's algorithm, recursive: the graphs here are a few hundred nodes at most.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, index.size);
    low.set(node, index.get(node) as number);
    stack.push(node);
    onStack.add(node);
    for (const next of edges.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) as number, index.get(next) as number));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || edges.get(node)?.has(node)) components.push(component);
  };
  for (const node of [...edges.keys()].sort()) if (!index.has(node)) visit(node);
  return components.map((component) => component.sort());
}

/** A shortest loop from the component's first node (by name) back to itself, staying inside it. */
function loopWithin(members: readonly string[], edges: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const component = new Set(members);
  const start = members[0] as string;
  const cameFrom = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift() as string;
    for (const next of [...(edges.get(node) ?? [])].sort()) {
      if (!component.has(next)) continue;
      if (next === start) {
        const path = [start];
        for (let at = node; at !== start; at = cameFrom.get(at) as string) path.splice(1, 0, at);
        return [...path, start];
      }
      if (!cameFrom.has(next)) {
        cameFrom.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/**
 * Blanks out comments (keeping line breaks), leaving strings, template literals and regular
 * expression literals as they are, so a `//` inside a string or a quote inside a regex is no comment.
 */
function stripComments(source: string): string {
  let out = "";
  let i = 0;
  // The last significant character: a `/` after one of these starts a regex, not a division.
  let previous = "\n";
  while (i < source.length) {
    const char = source[i] as string;
    const next = source[i + 1];
    if (char === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
      continue;
    }
    if (char === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end === -1 ? source.length : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
      continue;
    }
    let stop = i + 1;
    if (char === '"' || char === "'" || char === "`") {
      stop = skipQuoted(source, i, char);
    } else if (char === "/" && (/[(,=:[!&|?{};+\-*%<>~^\n]/.test(previous) || AFTER_KEYWORD.test(out.slice(-12)))) {
      stop = skipQuoted(source, i, "/");
    }
    out += source.slice(i, stop);
    if (!/\s/.test(char)) previous = source[stop - 1] as string;
    i = stop;
  }
  return out;
}

// A `/` after one of these words starts a regex too (`return /x/`).
const AFTER_KEYWORD = /\b(?:return|typeof|case|do|else|in|of|void|yield|await|delete|throw|new)\s*$/;

/** The index just past a quoted run (string, template or regex literal) that opens at `start`. */
function skipQuoted(source: string, start: number, quote: string): number {
  let inClass = false;
  for (let i = start + 1; i < source.length; i++) {
    const char = source[i];
    if (char === "\\") i++;
    else if (quote === "/" && char === "[") inClass = true;
    else if (quote === "/" && char === "]") inClass = false;
    else if (char === quote && !inClass) return i + 1;
    else if (char === "\n" && quote !== "`") return i; // an unclosed string or a division after all
  }
  return source.length;
}

/** Every .ts file under `dir`, as `/`-separated paths relative to it. */
function readTree(dir: string): Map<string, string> {
  const sources = new Map<string, string>();
  const walk = (at: string): void => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".ts")) sources.set(relative(dir, path).split(sep).join("/"), readFileSync(path, "utf8"));
    }
  };
  walk(dir);
  return sources;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const strictFolders = args.includes("--folders");
  const dir = args.find((arg) => !arg.startsWith("--")) ?? join(dirname(new URL(import.meta.url).pathname), "..", "src");
  const sources = readTree(dir);
  const { files, folders } = findImportCycles(sources);
  const knot = (cycle: Cycle): string => (cycle.members.length > cycle.loop.length - 1 ? ` (tied together: ${cycle.members.join(", ")})` : "");
  for (const cycle of files) console.error(`import cycle between files: ${cycle.loop.join(" → ")}${knot(cycle)}`);
  for (const cycle of folders) console.error(`import cycle between folders: ${cycle.loop.join(" → ")}${knot(cycle)}; by ${cycle.via.join(", ")}`);
  if (files.length > 0 || (strictFolders && folders.length > 0)) {
    console.error(`check-imports: ${files.length} file cycle(s), ${folders.length} folder cycle(s) in ${dir}`);
    process.exitCode = 1;
  } else {
    console.log(`check-imports: ${sources.size} files in ${dir}, no file import cycle${folders.length > 0 ? ` (${folders.length} folder cycle(s): warning)` : ""}`);
  }
}
