// The shape of the NATS JetStream transport's config (loaded by nats-load.ts). Types only.

/**
 * How the relay proves who it is to NATS. Files are named, not read, here: the transport reads
 * them when it opens (a missing or malformed file is a start-up error), and nothing here is printed.
 */
export type NatsAuth =
  | { readonly kind: "none" }
  | { readonly kind: "user"; readonly user: string; readonly password: string }
  | { readonly kind: "token"; readonly token: string }
  /** A file holding an NKey user seed (`SU…`). */
  | { readonly kind: "nkey"; readonly seedFile: string }
  /** A `.creds` file (user JWT + seed), as `nsc` writes it. */
  | { readonly kind: "creds"; readonly credsFile: string };

/** Where and how events are published to NATS JetStream. */
export interface NatsConfig {
  /** The servers to start from (more are learnt from the cluster's `connect_urls`). */
  readonly urls: readonly URL[];
  /** The subject, with `{type}` replaced by the event type (see src/transports/nats/subject.ts). */
  readonly subject: string;
  /** How long a publish waits for the PubAck (synchronous mode: inside Telnyx's 2 s deadline). */
  readonly timeoutMs: number;
  readonly auth: NatsAuth;
  /** A PEM file of CA certificates to trust for TLS instead of the system's; undefined: the system's. */
  readonly caFile: string | undefined;
}
