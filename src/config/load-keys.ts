// The public keys: from --public-key (inline) and --public-key-file (read through an injected
// reader), in order, each key once. Messages name the option and the file, never the key text.
import type { KeyObject } from "node:crypto";
import type { OptionReader } from "./option-reader.ts";
import { OPTIONS } from "./options.ts";

/**
 * Loads every public key the options give, recording a problem for each that cannot be had.
 *
 * @param reader The options.
 * @param readFile Reads a key file as text; may throw (its error's `code` is shown).
 * @param errors Where problems are recorded.
 * @returns The keys, in the order given, without repeats (one is required: if none is given at
 *   all, that is recorded too).
 * @example
 * ```ts
 * const keys = loadKeys(reader, (path) => readFileSync(path, "utf8"), errors);
 * ```
 */
export function loadKeys(reader: OptionReader, readFile: (path: string) => string, errors: string[]): KeyObject[] {
  const keys: KeyObject[] = [];
  const seen = new Set<string>();
  const add = (key: KeyObject): void => {
    // The same key given twice would be tried twice for every bad signature.
    const der = key.export({ format: "der", type: "spki" }).toString("base64");
    if (!seen.has(der)) keys.push(key);
    seen.add(der);
  };
  const inline = reader.each("public-key", (from, index, count) => (count > 1 ? `${from} #${index + 1}` : from));
  for (const { value } of inline.values) add(value);
  const files = reader.each("public-key-file");
  let failures = inline.failures + files.failures;
  for (const { value: path, from } of files.values) {
    let text: string;
    try {
      text = readFile(path);
    } catch (error) {
      failures++;
      errors.push(`${from}: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      continue;
    }
    const parsed = OPTIONS["public-key"].parse(text);
    if (parsed.ok) add(parsed.value);
    else {
      failures++;
      errors.push(`${from} ${path}: ${parsed.message}`);
    }
  }
  if (keys.length === 0 && failures === 0) {
    errors.push(`a public key is required: --public-key or ${OPTIONS["public-key"].env} (Mission Control portal → Keys & Credentials → Public Key)`);
  }
  return keys;
}
