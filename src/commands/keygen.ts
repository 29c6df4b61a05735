// `telnyx-relay keygen [--out DIR]`: an Ed25519 key pair for trying the relay without Telnyx. The
// public key is printed as the Telnyx portal shows it; the private key (for `send`) is written as
// PEM, readable by its owner only, never over an existing file.
import { generateKeyPairSync, type KeyObject } from "node:crypto";
import { join } from "node:path";
import type { CommandIo } from "./command-io.ts";
import { parseCommandArgs, single } from "./command-args.ts";

/** The name of the private key file `keygen` writes. */
export const PRIVATE_KEY_FILE = "telnyx-test-private-key.pem";

/** A test key pair, as `keygen` shows and keeps it. */
export interface TestKeyPair {
  /** Base64 of the raw 32-byte public key, as the Telnyx portal shows it. */
  readonly portalKey: string;
  /** The private key, PEM (PKCS #8). */
  readonly privatePem: string;
}

/**
 * Generates an Ed25519 key pair in the forms `keygen` gives.
 *
 * @returns The portal-style public key and the PEM private key.
 * @example
 * ```ts
 * const { portalKey, privatePem } = generateTestKeyPair(); // portalKey: 44 characters of base64
 * ```
 */
export function generateTestKeyPair(): TestKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  return { portalKey: portalKeyOf(publicKey), privatePem: privateKey.export({ format: "pem", type: "pkcs8" }) as string };
}

/**
 * The public key as the Telnyx portal shows it: base64 of its raw 32 bytes (the SPKI DER without
 * its 12-byte prefix).
 *
 * @param publicKey An Ed25519 public key.
 * @returns 44 characters of base64.
 * @example
 * ```ts
 * portalKeyOf(createPublicKey(privateKey)); // "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
 * ```
 */
export function portalKeyOf(publicKey: KeyObject): string {
  return publicKey.export({ format: "der", type: "spki" }).subarray(12).toString("base64");
}

/**
 * Runs `keygen`: writes the private key to DIR (default: the working directory) with mode 0600,
 * refusing to replace an existing file, and prints the public key and how to use both.
 *
 * @param args The arguments after `keygen`.
 * @param io Output, files, environment.
 * @returns The exit status: 0, 1 when the file cannot be written, 2 for a usage error.
 * @example
 * ```ts
 * process.exitCode = await keygen(["--out", "/tmp"], io);
 * ```
 */
export async function keygen(args: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandArgs(args, { valued: new Set(["out"]), switches: new Map() });
  if (!parsed.ok) return io.usage(`keygen: ${parsed.message}`);
  if (parsed.positionals.length > 0) return io.usage(`keygen: unexpected argument '${parsed.positionals[0]}'`);
  const path = join(single(parsed.argv, "out") ?? ".", PRIVATE_KEY_FILE);
  const { portalKey, privatePem } = generateTestKeyPair();
  try {
    // "wx": never over an existing key; 0600: the owner's only.
    await io.writeNewFile(path, privatePem, 0o600);
  } catch (error) {
    io.stderr(`telnyx-relay keygen: cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}${(error as NodeJS.ErrnoException).code === "EEXIST" ? " (it is not replaced: move it away or use --out)" : ""}\n`);
    return 1;
  }
  io.stdout(
    [
      `public key (as the Telnyx portal shows it): ${portalKey}`,
      `private key (PEM, mode 0600): ${path}`,
      "",
      "Try it:",
      `  TELNYX_PUBLIC_KEY=${portalKey} telnyx-relay --port 8080`,
      `  telnyx-relay send --list`,
      `  telnyx-relay send com.telnyx.texml.refer.status --to http://127.0.0.1:8080/webhooks/telnyx --private-key ${path}`,
      "",
    ].join("\n"),
  );
  return 0;
}
