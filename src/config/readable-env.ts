// Deno's permission model and the misspelt-variable check: listing the environment needs full env
// access there, while reading a variable needs only its name in --allow-env=NAMES. Deno 2.9 has no
// way around it: `Deno.env.toObject()`, `Object.keys(process.env)`, a variable outside NAMES (even
// with a wildcard such as TELNYX_RELAY_*) and /proc/self/environ (which needs --allow-all) are all
// refused with NotCapable. So the check cannot run there, and the relay says so at start-up.
import type { Env } from "./env.ts";

/** The environment for {@link loadConfig}, and whether it holds every variable. */
export interface ReadableEnv {
  readonly env: Env;
  /** false: only `names` were read, so a misspelt TELNYX_RELAY_* variable cannot be noticed. */
  readonly complete: boolean;
  /** Why the environment is incomplete (for the start-up warning); undefined when it is complete. */
  readonly reason: string | undefined;
}

/**
 * Returns `env` itself when its variables can be listed (Node; Deno with `--allow-env`), else — Deno
 * run with `--allow-env=NAMES`, where listing throws `NotCapable` — a record of just `names`, read
 * one by one (a name that may not be read counts as unset).
 *
 * @param env The process environment (`process.env`).
 * @param names The variables the relay reads.
 * @returns The environment to configure from, whether it is complete, and if not, why.
 * @example
 * ```ts
 * const { env, complete, reason } = readableEnv(process.env, OPTION_NAMES.map((name) => OPTIONS[name].env));
 * ```
 */
export function readableEnv(env: Env, names: readonly string[]): ReadableEnv {
  let refusal: unknown;
  try {
    Object.keys(env);
    return { env, complete: true, reason: undefined };
  } catch (error) {
    refusal = error;
  }
  const some: Record<string, string | undefined> = Object.create(null);
  for (const name of names) {
    try {
      some[name] = env[name];
    } catch {
      some[name] = undefined;
    }
  }
  const name = (refusal as Error | undefined)?.name ?? "Error";
  return { env: some, complete: false, reason: `the environment cannot be listed (${name}: e.g. deno run --allow-env=NAMES); give --allow-env without names to have it checked` };
}
