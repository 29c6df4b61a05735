// Every relative link of README.md and docs/*.md resolves: the file it names exists, and an `#anchor`
// is a heading of the Markdown file it points into, slugged as GitHub does (lower-case, each space
// → `-`, punctuation other than `-` and `_` dropped, a repeated heading suffixed -1, -2, …). Links
// inside code (fenced blocks, `spans`) are not links; http(s) and other schemes are not checked.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** GitHub's anchor for a heading's text (github-slugger, after the Markdown is rendered to text). */
function slug(heading: string): string {
  const text = heading
    .replace(/`([^`]*)`/g, "$1") // code spans keep their text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links keep their text
    .replace(/<[^>]+>/g, "") // inline HTML
    .replace(/\*+/g, ""); // emphasis
  return text.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
}

/** Markdown lines outside fenced code blocks, with their line numbers (1-based). */
function proseLines(markdown: string): Array<{ line: number; text: string }> {
  const lines: Array<{ line: number; text: string }> = [];
  let fence: string | undefined;
  markdown.split("\n").forEach((text, index) => {
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(text)?.[1];
    if (fence === undefined && marker !== undefined) fence = marker;
    else if (fence !== undefined && marker !== undefined && marker[0] === fence[0] && marker.length >= fence.length) fence = undefined;
    else if (fence === undefined) lines.push({ line: index + 1, text });
  });
  return lines;
}

/** Every anchor a Markdown file's headings give, repeated ones suffixed as GitHub does. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const { text } of proseLines(markdown)) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(text)?.[1];
    if (heading === undefined) continue;
    const base = slug(heading);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    anchors.add(count === 0 ? base : `${base}-${count}`);
  }
  return anchors;
}

/** The link targets of a Markdown file (inline and reference definitions), code spans left out, with their line numbers. */
function linksOf(markdown: string): Array<{ line: number; target: string }> {
  const links: Array<{ line: number; target: string }> = [];
  for (const { line, text } of proseLines(markdown)) {
    const definition = /^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?/.exec(text)?.[1]; // [name]: target
    if (definition !== undefined) links.push({ line, target: definition });
    const prose = text.replace(/(`+)[\s\S]*?\1/g, "code");
    for (const match of prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ line, target: match[1] ?? "" });
  }
  return links;
}

/** Each relative link of `file` that does not resolve, as `file:line: target (why)`. */
function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  const name = file.startsWith(ROOT) ? file.slice(ROOT.length) : file;
  for (const { line, target } of linksOf(readFileSync(file, "utf8"))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
    const [path = "", anchor] = target.split("#", 2);
    const destination = path === "" ? file : resolve(dirname(file), decodeURIComponent(path));
    if (!existsSync(destination)) {
      broken.push(`${name}:${line}: ${target} (no such file)`);
      continue;
    }
    if (anchor === undefined) continue;
    if (!destination.endsWith(".md")) {
      if (!/^L\d+(?:-L\d+)?$/.test(anchor)) broken.push(`${name}:${line}: ${target} (an anchor into a file that is not Markdown)`);
    } else if (!anchorsOf(readFileSync(destination, "utf8")).has(anchor)) {
      broken.push(`${name}:${line}: ${target} (no heading gives #${anchor})`);
    }
  }
  return broken;
}

const DOCS = readdirSync(join(ROOT, "docs")).filter((name) => name.endsWith(".md")).sort();

test("slug() makes GitHub's anchors: lower-case, spaces to -, punctuation but - and _ dropped", () => {
  assert.equal(slug("Several cores: --workers"), "several-cores---workers");
  assert.equal(slug("Telnyx's 2-second deadline"), "telnyxs-2-second-deadline");
  assert.equal(slug("Status codes, and what Telnyx does with each"), "status-codes-and-what-telnyx-does-with-each");
  assert.equal(slug("Try it without Telnyx: keygen, send, replay"), "try-it-without-telnyx-keygen-send-replay");
  assert.equal(slug("Without Node: one file, Deno, a container"), "without-node-one-file-deno-a-container");
  assert.equal(slug("The `dead_letter` file (**bounded**)"), "the-dead_letter-file-bounded");
  assert.equal(slug("See [the docs](docs/x.md)"), "see-the-docs");
});

test("anchorsOf() takes headings outside code blocks, and numbers repeated ones as GitHub does", () => {
  const anchors = anchorsOf("# Title\n\n## Notes\n\n```sh\n# not a heading\n```\n\n### Notes\n## Notes ##\n");
  assert.deepEqual([...anchors], ["title", "notes", "notes-1", "notes-2"]);
});

test("linksOf() finds links in prose, tables and reference definitions, not in code spans or fenced blocks", () => {
  const markdown = "See [a](a.md#x) and `[b](b.md)`.\n| [`c`](c.md \"title\") |\n```md\n[d](d.md)\n```\n![e](e.png)\n[f]: f.md#y\n";
  assert.deepEqual(linksOf(markdown), [
    { line: 1, target: "a.md#x" },
    { line: 2, target: "c.md" },
    { line: 6, target: "e.png" },
    { line: 7, target: "f.md#y" },
  ]);
});

test("brokenLinks() reports a missing file, a missing anchor in another file and in its own", () => {
  const dir = mkdtempSync(join(tmpdir(), "telnyx-relay-links-"));
  try {
    writeFileSync(join(dir, "other.md"), "# Other\n\n## Part two\n");
    writeFileSync(
      join(dir, "doc.md"),
      "# Doc\n\n[ok](other.md#part-two) [ok](#doc) [ok](other.md) [ok](https://example.com/#nope)\n" +
        "[bad](missing.md) [bad](other.md#part-three) [bad](#nowhere)\n",
    );
    assert.deepEqual(brokenLinks(join(dir, "doc.md")), [
      `${join(dir, "doc.md")}:4: missing.md (no such file)`,
      `${join(dir, "doc.md")}:4: other.md#part-three (no heading gives #part-three)`,
      `${join(dir, "doc.md")}:4: #nowhere (no heading gives #nowhere)`,
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("every relative link and #anchor in README.md and docs/*.md resolves", () => {
  assert.ok(DOCS.length > 0, "docs/ holds Markdown files");
  const broken = [join(ROOT, "README.md"), ...DOCS.map((name) => join(ROOT, "docs", name))].flatMap(brokenLinks);
  assert.deepEqual(broken, []);
});

test("README.md links every file of docs/, so none is orphaned", () => {
  const targets = new Set(linksOf(readFileSync(join(ROOT, "README.md"), "utf8")).map(({ target }) => target.split("#", 1)[0]));
  for (const name of DOCS) assert.ok(targets.has(`docs/${name}`), `README.md does not link docs/${name}`);
});
