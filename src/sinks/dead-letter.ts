import type { FileHandle } from "node:fs/promises";

/**
 * A signed delivery that could not become an event (`invalid_event`), or an event the downstream
 * refused for good (`downstream_rejected`): kept so it is not lost.
 */
export type DeadLetter =
  | {
      /** When the relay received it (RFC 3339). */
      readonly receivedAt: string;
      readonly reason: "invalid_event";
      readonly detail: string;
      /** The two Telnyx headers as received, so the record can be re-verified or replayed. */
      readonly headers: { readonly "telnyx-timestamp": string; readonly "telnyx-signature-ed25519": string };
      /** The raw body as text when it is valid UTF-8 (Telnyx form bodies are ASCII)… */
      readonly body?: string;
      /** …or else as base64, so the record still verifies against its signature. */
      readonly bodyBase64?: string;
    }
  | {
      readonly receivedAt: string;
      readonly reason: "downstream_rejected";
      readonly detail: string;
      readonly id: string;
      /** The downstream's answer in its transport's terms (HTTP: its `status` and the start of its body, `bodyExcerpt`). */
      readonly response: Readonly<Record<string, string | number>>;
      /** The CloudEvent that was forwarded, as JSON text. */
      readonly event: string;
    };

/** An append-only JSON-lines file of dead letters. */
export interface DeadLetterFile {
  readonly path: string;
  /** Appends one record and flushes it to disk; resolves false (never throws) when it could not. */
  write(record: DeadLetter): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Opens (lazily, on the first record) a dead-letter file for appending.
 *
 * Records are written one at a time, each as one line with a single write, then `datasync`ed:
 * the relay answers the sender only after the record is on disk.
 *
 * @param path The file; created if missing, appended to if present.
 * @returns The dead-letter file.
 * @example
 * ```ts
 * const deadLetters = createDeadLetterFile("./telnyx-relay-dead-letter.jsonl");
 * await deadLetters.write({ receivedAt, reason: "invalid_event", detail, headers, body });
 * ```
 */
export function createDeadLetterFile(path: string): DeadLetterFile {
  let handle: Promise<FileHandle> | undefined;
  let queue: Promise<unknown> = Promise.resolve();

  const append = async (line: string): Promise<boolean> => {
    try {
      // node:fs/promises is loaded with the first dead letter, not at every start.
      handle ??= import("node:fs/promises").then(({ open }) => open(path, "a", 0o600));
      const file = await handle;
      await file.write(line);
      await file.datasync();
      return true;
    } catch {
      // Open afresh next time: the disk may come back, or the file may have been moved away.
      const failed = handle;
      handle = undefined;
      failed?.then((file) => file.close()).catch(() => {});
      return false;
    }
  };

  return {
    path,
    write(record) {
      const result = queue.then(() => append(`${JSON.stringify(record)}\n`));
      queue = result;
      return result;
    },
    async close() {
      await queue;
      const file = await handle?.catch(() => undefined);
      await file?.close();
    },
  };
}
