// Deno's permission model and the misspelt-variable check: listing the environment needs full env
// access there, while reading a variable needs only its name in --allow-env=NAMES.
import type { Env } from "./load.ts";

/** The environment for {@link loadConfig}, and whether it holds every variable. */
export interface ReadableEnv {
  readonly env: Env;
  /** false: only `names` were read, so a misspelt TELNYX_RELAY_* variable cannot be noticed. */
  readonly complete: boolean;
}

/**
 * Returns `env` itself when its variables can be listed (Node; Deno with `--allow-env`), else — Deno
 * run with `--allow-env=NAMES`, where listing throws `NotCapable` — a record of just `names`, read
 * one by one (a name that may not be read counts as unset).
 *
 * @param env The process environment (`process.env`).
 * @param names The variables the relay reads.
 * @returns The environment to configure from, and whether it is complete.
 * @example
 * ```ts
 * const { env } = readableEnv(process.env, OPTIONS.map((spec) => spec.env));
 * ```
 */
export function readableEnv(env: Env, names: readonly string[]): ReadableEnv {
  try {
    Object.keys(env);
    return { env, complete: true };
  } catch {
    const some: Record<string, string | undefined> = Object.create(null);
    for (const name of names) {
      try {
        some[name] = env[name];
      } catch {
        some[name] = undefined;
      }
    }
    return { env: some, complete: false };
  }
}
