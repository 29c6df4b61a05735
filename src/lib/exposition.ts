/**
 * Sums Prometheus text expositions (format 0.0.4), sample by sample: how the main process makes one
 * view of the relay from its own metrics and its workers'. It works on the text, so it needs to know
 * nothing of which metrics exist or which labels they carry.
 *
 * @module
 */

interface Family {
  /** The `# HELP` and `# TYPE` lines, as first seen. */
  readonly header: string[];
  /** Sample (name and labels) → value, in the order first seen. */
  readonly samples: Map<string, number>;
}

/**
 * Adds expositions together: a sample with the same name and labels in several texts is written
 * once, with the sum of their values; a sample found in only some of them is written with its value.
 * Families keep the order in which they first appear (the first text's order, then any new ones),
 * and their `# HELP` / `# TYPE` lines from where they first appear.
 *
 * Every counter and histogram (buckets, `_sum`, `_count`) adds up this way. A gauge adds up too,
 * which is right for the relay's, each of which only one process (the main one) reports. Sample
 * timestamps are not supported (the relay writes none). Lines that are neither a comment nor
 * `name{labels} value` are dropped.
 *
 * @param texts The expositions.
 * @returns One exposition, ending with a newline (empty if there was nothing).
 * @example
 * ```ts
 * sumExpositions(["# HELP x_total X.\n# TYPE x_total counter\nx_total 2\n", "x_total 3\n"]);
 * // "# HELP x_total X.\n# TYPE x_total counter\nx_total 5\n"
 * ```
 */
export function sumExpositions(texts: readonly string[]): string {
  const families = new Map<string, Family>();
  for (const text of texts) addExposition(families, text);
  const lines: string[] = [];
  for (const family of families.values()) {
    lines.push(...family.header);
    for (const [sample, value] of family.samples) lines.push(`${sample} ${value}`);
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/** Adds one exposition's samples into `families`. */
function addExposition(families: Map<string, Family>, text: string): void {
  let current: Family | undefined;
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("# ")) {
      const match = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*)(?: |$)/.exec(line);
      if (match === null) continue;
      current = familyOf(families, match[2] as string);
      // The first HELP and the first TYPE seen for a family are kept; later texts' are the same.
      const kind = `# ${match[1]} `;
      if (!current.header.some((kept) => kept.startsWith(kind))) current.header.push(line);
      continue;
    }
    const space = line.lastIndexOf(" ");
    const value = Number(line.slice(space + 1));
    if (space <= 0 || line.slice(space + 1) === "" || Number.isNaN(value)) continue;
    const sample = line.slice(0, space);
    // A sample before any HELP/TYPE in this text: the family of its name, or one without a header.
    const brace = sample.indexOf("{");
    current ??= families.get(brace === -1 ? sample : sample.slice(0, brace)) ?? familyOf(families, "");
    current.samples.set(sample, (current.samples.get(sample) ?? 0) + value);
  }
}

function familyOf(families: Map<string, Family>, name: string): Family {
  let family = families.get(name);
  if (family === undefined) {
    family = { header: [], samples: new Map() };
    families.set(name, family);
  }
  return family;
}
