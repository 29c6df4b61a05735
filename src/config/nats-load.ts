// The NATS options → NatsConfig (or undefined: not publishing to NATS), problems into `errors`.
import type { NatsAuth, NatsConfig } from "./nats-config.ts";
import type { OptionReader } from "./option-reader.ts";
import { OPTIONS, type OptionName } from "./options.ts";

const NEEDS_NATS_URL: readonly OptionName[] = ["nats-subject", "nats-timeout", "nats-user", "nats-password", "nats-token", "nats-nkey", "nats-creds", "nats-ca"];

/**
 * Reads the NATS options.
 *
 * @param reader The option reader (flags, then environment, then defaults).
 * @param errors Where problems go: an option without --nats-url, two ways to authenticate, a user without a password.
 * @returns The config, or undefined without --nats-url.
 * @example
 * ```ts
 * const nats = loadNats(createOptionReader(flags, env, errors), errors);
 * ```
 */
export function loadNats(reader: OptionReader, errors: string[]): NatsConfig | undefined {
  const urls = reader.each("nats-url").values.flatMap((item) => item.value);
  if (!reader.given("nats-url")) {
    for (const name of NEEDS_NATS_URL.filter(reader.given)) errors.push(`--${name} (${OPTIONS[name].env}) needs --nats-url`);
    return undefined;
  }
  const auth = loadAuth(reader, errors);
  if (urls.length === 0 || auth === undefined) return undefined;
  return {
    urls,
    subject: reader.withDefault("nats-subject"),
    timeoutMs: reader.withDefault("nats-timeout"),
    auth,
    caFile: reader.one("nats-ca"),
  };
}

function loadAuth(reader: OptionReader, errors: string[]): NatsAuth | undefined {
  const ways = (["nats-user", "nats-token", "nats-nkey", "nats-creds"] as const).filter(reader.given);
  if (ways.length > 1) {
    errors.push(`${ways.map((name) => `--${name}`).join(" and ")}: give one way to authenticate to NATS`);
    return undefined;
  }
  const user = reader.one("nats-user");
  const password = reader.one("nats-password");
  if ((user === undefined) !== (password === undefined) && (reader.given("nats-user") || reader.given("nats-password"))) {
    errors.push(reader.given("nats-user") ? "--nats-user needs --nats-password" : "--nats-password needs --nats-user");
    return undefined;
  }
  if (user !== undefined && password !== undefined) return { kind: "user", user, password };
  const token = reader.one("nats-token");
  if (token !== undefined) return { kind: "token", token };
  const seedFile = reader.one("nats-nkey");
  if (seedFile !== undefined) return { kind: "nkey", seedFile };
  const credsFile = reader.one("nats-creds");
  if (credsFile !== undefined) return { kind: "creds", credsFile };
  return ways.length === 0 ? { kind: "none" } : undefined;
}
