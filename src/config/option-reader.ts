// Reading options for the loader: a flag wins over its environment variable, which wins over the
// table's default; each value goes through its row's parser, and every problem is recorded with
// the name of where the value came from (`--port`, `TELNYX_RELAY_PORT`, `--port default`).
import type { Env } from "./env.ts";
import { OPTIONS, optionDefault, type OptionName, type OptionSpec, type OptionValue } from "./options.ts";

/** An option's raw values and where they came from, for messages. */
export interface OptionSource {
  readonly from: string;
  readonly list: readonly string[];
}

/** One parsed value of a repeatable option, and the label its messages use. */
export interface ParsedItem<T> {
  readonly value: T;
  readonly from: string;
}

/** Reads options; see {@link createOptionReader}. */
export interface OptionReader {
  /** The raw values of `name`: from its flag, else its (non-empty) variable, else its default. */
  source(name: OptionName): OptionSource | undefined;
  /** True when `name` is given by its flag or a non-empty variable (not just by default). */
  given(name: OptionName): boolean;
  /** The single value of `name`, parsed; undefined when unset, or wrong (the problem is recorded). */
  one<K extends OptionName>(name: K): OptionValue<K> | undefined;
  /** Like {@link OptionReader.one}, with the table's default when the value is wrong. */
  withDefault<K extends OptionName>(name: K): OptionValue<K>;
  /**
   * Each value of a repeatable option, parsed; wrong ones are recorded (under `label`) and left out.
   * `failures` counts them.
   */
  each<K extends OptionName>(name: K, label?: (from: string, index: number, count: number) => string): { values: Array<ParsedItem<OptionValue<K>>>; failures: number };
}

/**
 * Makes an {@link OptionReader} over the command line's values and the environment.
 *
 * @param flags Raw values by option name (from `parseCli`).
 * @param env The environment.
 * @param errors Where problems are recorded, one line each.
 * @returns The reader.
 * @example
 * ```ts
 * const errors: string[] = [];
 * const port = createOptionReader(new Map([["port", ["0"]]]), {}, errors).withDefault("port"); // 0
 * ```
 */
export function createOptionReader(flags: ReadonlyMap<OptionName, readonly string[]>, env: Env, errors: string[]): OptionReader {
  const source = (name: OptionName): OptionSource | undefined => {
    const spec: OptionSpec<unknown> = OPTIONS[name];
    const given = flags.get(name);
    if (given !== undefined && given.length > 0) return { from: `--${name}`, list: given };
    const fromEnv = env[spec.env];
    if (fromEnv !== undefined && fromEnv !== "") {
      return { from: spec.env, list: spec.multiple ? fromEnv.split(spec.separator).filter((item) => item.trim() !== "") : [fromEnv] };
    }
    if (spec.default !== undefined) return { from: `--${name} default`, list: [spec.default] };
    return undefined;
  };

  const one = <K extends OptionName>(name: K): OptionValue<K> | undefined => {
    const found = source(name);
    if (found === undefined) return undefined;
    if (found.list.length > 1) {
      errors.push(`${found.from} is given ${found.list.length} times; give it once`);
      return undefined;
    }
    const parsed = (OPTIONS[name] as OptionSpec<OptionValue<K>>).parse(found.list[0] as string);
    if (parsed.ok) return parsed.value;
    errors.push(`${found.from}: ${parsed.message}`);
    return undefined;
  };

  return {
    source,
    given: (name) => flags.has(name) || (env[OPTIONS[name].env] ?? "") !== "",
    one,
    withDefault: (name) => one(name) ?? optionDefault(name),
    each: (name, label = (from) => from) => {
      const found = source(name);
      const values: Array<ParsedItem<OptionValue<typeof name>>> = [];
      let failures = 0;
      found?.list.forEach((text, index) => {
        const from = label(found.from, index, found.list.length);
        const parsed = (OPTIONS[name] as OptionSpec<OptionValue<typeof name>>).parse(text);
        if (parsed.ok) values.push({ value: parsed.value, from });
        else {
          failures++;
          errors.push(`${from}: ${parsed.message}`);
        }
      });
      return { values, failures };
    },
  };
}
