// A YAML reader for the subset Telnyx's OpenAPI files use, for dev-time scripts only (the relay reads
// no YAML at run time): block mappings and sequences by indentation, plain, single- and
// double-quoted scalars, block scalars (`|`, `|-`, `>`, `>-`), empty flow collections (`[]`, `{}`)
// and comments. Anything else (anchors, tags, non-empty flow collections) is refused with its line.

/** A parsed YAML value. Scalars stay strings: a script converts what it needs. */
export type YamlValue = string | YamlValue[] | { [key: string]: YamlValue };

interface Line {
  readonly indent: number;
  readonly text: string;
  readonly number: number;
}

/**
 * Parses the YAML subset described above.
 *
 * @param source The file's text.
 * @returns The document's root value.
 * @example
 * ```ts
 * parseYamlSubset("a:\n  - 1\n  - x: 'y'\n"); // { a: ["1", { x: "y" }] }
 * ```
 */
export function parseYamlSubset(source: string): YamlValue {
  const raw = source.split(/\r?\n/);
  const lines: Line[] = raw.map((text, index) => ({ indent: text.length - text.trimStart().length, text: text.trimStart(), number: index + 1 }));
  const reader = { lines, at: 0 };
  skipBlank(reader);
  return parseBlock(reader, lines[reader.at]?.indent ?? 0);
}

interface Reader {
  readonly lines: Line[];
  at: number;
}

function skipBlank(reader: Reader): void {
  while (reader.at < reader.lines.length) {
    const line = reader.lines[reader.at] as Line;
    if (line.text !== "" && !line.text.startsWith("#")) return;
    reader.at++;
  }
}

function parseBlock(reader: Reader, indent: number): YamlValue {
  const first = reader.lines[reader.at];
  if (first === undefined) return "";
  return first.text === "-" || first.text.startsWith("- ") ? parseSequence(reader, indent) : parseMapping(reader, indent);
}

function parseSequence(reader: Reader, indent: number): YamlValue[] {
  const items: YamlValue[] = [];
  for (skipBlank(reader); reader.at < reader.lines.length; skipBlank(reader)) {
    const line = reader.lines[reader.at] as Line;
    if (line.indent < indent || !(line.text === "-" || line.text.startsWith("- "))) break;
    if (line.indent > indent) throw new Error(`line ${line.number}: unexpected indentation`);
    const rest = line.text.slice(1).trimStart();
    if (rest === "") {
      reader.at++;
      skipBlank(reader);
      items.push(parseBlock(reader, (reader.lines[reader.at] as Line).indent));
    } else if (keyOf(rest) !== undefined) {
      // "- key: value": a mapping whose keys sit at the indentation of "key".
      const inner = line.indent + (line.text.length - rest.length);
      reader.lines[reader.at] = { indent: inner, text: rest, number: line.number };
      items.push(parseMapping(reader, inner));
    } else {
      reader.at++;
      items.push(scalar(rest, line.number));
    }
  }
  return items;
}

function parseMapping(reader: Reader, indent: number): { [key: string]: YamlValue } {
  const map: { [key: string]: YamlValue } = {};
  for (skipBlank(reader); reader.at < reader.lines.length; skipBlank(reader)) {
    const line = reader.lines[reader.at] as Line;
    if (line.indent < indent) break;
    if (line.indent > indent) throw new Error(`line ${line.number}: unexpected indentation`);
    const key = keyOf(line.text);
    if (key === undefined) break; // a sequence item at the same indentation ends the mapping
    const rest = line.text.slice(key.length).replace(/^\s*:/, "").trim();
    reader.at++;
    const name = scalar(key, line.number) as string;
    if (rest === "" || rest.startsWith("#")) {
      skipBlank(reader);
      const next = reader.lines[reader.at];
      const nested = next !== undefined && (next.indent > indent || (next.indent === indent && (next.text === "-" || next.text.startsWith("- "))));
      map[name] = nested ? parseBlock(reader, next.indent) : "";
    } else if (/^[|>][-+]?$/.test(rest)) {
      map[name] = blockScalar(reader, indent, rest);
    } else {
      map[name] = scalar(rest, line.number);
    }
  }
  return map;
}

/** The key of a `key: value` line (quoted or plain), or undefined when the line is not one. */
function keyOf(text: string): string | undefined {
  const quoted = /^('(?:[^']|'')*'|"(?:[^"\\]|\\.)*")\s*:(\s|$)/.exec(text);
  if (quoted) return quoted[1];
  const plain = /^([^\s'"#-][^:#]*?|-[^\s:][^:#]*?)\s*:(\s|$)/.exec(text);
  return plain?.[1];
}

function blockScalar(reader: Reader, indent: number, header: string): string {
  const body: string[] = [];
  let inner: number | undefined;
  while (reader.at < reader.lines.length) {
    const line = reader.lines[reader.at] as Line;
    if (line.text !== "" && line.indent <= indent) break;
    inner ??= line.text === "" ? undefined : line.indent;
    body.push(line.text === "" ? "" : " ".repeat(line.indent - (inner ?? line.indent)) + line.text);
    reader.at++;
  }
  while (body.length > 0 && body[body.length - 1] === "") body.pop();
  const text = header.startsWith(">") ? body.join("\n").replace(/([^\n])\n(?=[^\n])/g, "$1 ") : body.join("\n");
  return header.endsWith("-") ? text : `${text}\n`;
}

function scalar(text: string, number: number): YamlValue {
  if (text.startsWith("'")) {
    const end = /^'((?:[^']|'')*)'\s*(#.*)?$/.exec(text);
    if (!end) throw new Error(`line ${number}: unterminated quoted scalar`);
    return (end[1] as string).replace(/''/g, "'");
  }
  if (text.startsWith('"')) {
    const end = /^("(?:[^"\\]|\\.)*")\s*(#.*)?$/.exec(text);
    if (!end) throw new Error(`line ${number}: unterminated quoted scalar`);
    return JSON.parse(end[1] as string) as string;
  }
  if (text === "[]") return [];
  if (text === "{}") return {};
  if (/^[&*!{[]/.test(text)) throw new Error(`line ${number}: YAML feature outside the subset: ${text.slice(0, 40)}`);
  // A comment starts at " #"; it is how the spec's Digit description lost its end (FAMILY.md §1.2).
  const comment = text.indexOf(" #");
  return (comment === -1 ? text : text.slice(0, comment)).trimEnd();
}
