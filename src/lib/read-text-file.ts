import { Buffer } from "node:buffer";
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";

/**
 * Reads a small text file given at start-up (`--texml-reply FILE`): a regular file only (a FIFO
 * would block start-up until something writes to it, and `/dev/zero` would be read for ever), at
 * most `maxBytes` bytes (counted while reading: a file may grow after its size is asked), and
 * strict UTF-8 (a byte-order mark is kept, as `readFileSync(path, "utf8")` keeps it).
 *
 * @param path The file.
 * @param maxBytes The most bytes it may hold.
 * @returns Its text.
 * @throws Error with an errno `code` when it cannot be opened or read, or with a message saying
 *   what is wrong with it (not a regular file, too large, not UTF-8).
 * @example
 * ```ts
 * const reply = readTextFile("reply.xml", 64 * 1024); // "<Response><Hangup/></Response>\n"
 * ```
 */
export function readTextFile(path: string, maxBytes: number): string {
  // Asked before opening: opening a FIFO for reading waits for a writer.
  if (!statSync(path).isFile()) throw new Error("it is not a regular file");
  const fd = openSync(path, "r");
  try {
    // Asked again of what was opened: the path may have been replaced in between.
    if (!fstatSync(fd).isFile()) throw new Error("it is not a regular file");
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length < buffer.length) {
      const read = readSync(fd, buffer, length, buffer.length - length, null);
      if (read === 0) break;
      length += read;
    }
    if (length > maxBytes) throw new Error(`it is larger than ${maxBytes} bytes`);
    try {
      return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(buffer.subarray(0, length));
    } catch {
      throw new Error("it is not UTF-8 text");
    }
  } finally {
    closeSync(fd);
  }
}
