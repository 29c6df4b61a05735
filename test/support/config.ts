import assert from "node:assert/strict";
import { loadConfig, type Config, type ConfigResult, type Env } from "../../src/config/load.ts";
import type { OptionName } from "../../src/config/options.ts";

/** Raw option values by option name, as a plain object (a misspelt name does not type-check). */
export type Flags = Readonly<Partial<Record<OptionName, readonly string[]>>>;

/** A readFile for loadConfig that fails the test if any file is read. */
export const noFiles = (path: string): string => {
  throw new Error(`unexpected read of ${path}`);
};

/** `flags` as the map parseCli() gives. */
export function flagMap(flags: Flags): ReadonlyMap<OptionName, readonly string[]> {
  return new Map(Object.entries(flags) as Array<[OptionName, readonly string[]]>);
}

/** loadConfig with flags given as a plain object. */
export function loadFlags(flags: Flags, env: Env = {}, readFile: (path: string) => string = noFiles): ConfigResult {
  return loadConfig(flagMap(flags), env, readFile);
}

/** The config, or a failed assertion listing the errors. */
export function expectConfig(result: ConfigResult): Config {
  if (!result.ok) assert.fail(`expected a config, got errors: ${result.errors.join(" | ")}`);
  return result.config;
}

/** The errors, or a failed assertion. */
export function expectErrors(result: ConfigResult): readonly string[] {
  if (result.ok) assert.fail("expected errors, got a config");
  assert.ok(result.errors.length > 0);
  return result.errors;
}

/** Asserts exactly one error, and that it matches every pattern. */
export function expectOneError(result: ConfigResult, ...patterns: readonly RegExp[]): string {
  const errors = expectErrors(result);
  assert.equal(errors.length, 1, errors.join(" | "));
  const error = errors[0] as string;
  for (const pattern of patterns) assert.match(error, pattern);
  return error;
}
