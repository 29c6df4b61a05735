// `send --set NAME=VALUE`: edits an example body before it is signed. Pure.
import { encodeForm } from "../events/examples.ts";

/** The outcome of {@link editBody}: the new body, or a one-line problem. */
export type Edited = { readonly ok: true; readonly body: string } | { readonly ok: false; readonly message: string };

/**
 * Applies `NAME=VALUE` edits to a body. A form body (`application/x-www-form-urlencoded`) gets field
 * NAME replaced (its first occurrence; appended when absent), re-encoded as Telnyx encodes forms
 * (`+0000` becomes `%2B0000`, a space `+`). A JSON body gets the value at the dotted path NAME set
 * (`data.payload.call_control_id`), creating objects on the way; the value is a string unless the
 * value it replaces is not, then it is read as JSON (`data.payload.count=3`).
 *
 * @param contentType The body's Content-Type.
 * @param body The body text.
 * @param sets The edits, in order, each `NAME=VALUE` (the first `=` separates).
 * @returns The edited body, or a problem naming the edit.
 * @example
 * ```ts
 * editBody("application/x-www-form-urlencoded", "A=1", ["Timestamp=2024-01-15 10:30:00 +0000"]);
 * // { ok: true, body: "A=1&Timestamp=2024-01-15+10%3A30%3A00+%2B0000" }
 * ```
 */
export function editBody(contentType: string, body: string, sets: readonly string[]): Edited {
  const edits: Array<[string, string]> = [];
  for (const set of sets) {
    const equals = set.indexOf("=");
    if (equals <= 0) return { ok: false, message: `--set ${JSON.stringify(set)}: expected NAME=VALUE` };
    edits.push([set.slice(0, equals), set.slice(equals + 1)]);
  }
  if (edits.length === 0) return { ok: true, body };
  return /json/i.test(contentType) ? editJson(body, edits) : { ok: true, body: editForm(body, edits) };
}

function editForm(body: string, edits: ReadonlyArray<readonly [string, string]>): string {
  const fields = [...new URLSearchParams(body)];
  for (const [name, value] of edits) {
    const at = fields.findIndex(([field]) => field === name);
    if (at === -1) fields.push([name, value]);
    else fields[at] = [name, value];
  }
  return encodeForm(fields);
}

function editJson(body: string, edits: ReadonlyArray<readonly [string, string]>): Edited {
  let root: unknown;
  try {
    root = JSON.parse(body);
  } catch {
    return { ok: false, message: "--set: the body is not JSON" };
  }
  for (const [path, text] of edits) {
    const keys = path.split(".");
    if (keys.some((key) => key === "" || key === "__proto__")) return { ok: false, message: `--set ${path}: not a path to a field` };
    if (typeof root !== "object" || root === null) return { ok: false, message: `--set ${path}: the body is not a JSON object` };
    let node = root as Record<string, unknown>;
    for (const key of keys.slice(0, -1)) {
      const next = Object.hasOwn(node, key) ? node[key] : undefined;
      if (next === undefined) node[key] = Object.create(null) as Record<string, unknown>;
      else if (typeof next !== "object" || next === null) return { ok: false, message: `--set ${path}: ${key} is not an object` };
      node = node[key] as Record<string, unknown>;
    }
    const last = keys.at(-1) as string;
    const old = Object.hasOwn(node, last) ? node[last] : undefined;
    if (old === undefined || typeof old === "string") node[last] = text;
    else {
      try {
        node[last] = JSON.parse(text);
      } catch {
        return { ok: false, message: `--set ${path}: the value it replaces is ${typeof old}, and ${JSON.stringify(text)} is not JSON` };
      }
    }
  }
  return { ok: true, body: JSON.stringify(root) };
}
