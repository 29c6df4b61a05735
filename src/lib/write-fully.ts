import type { FileHandle } from "node:fs/promises";

/**
 * Writes all of `data` at the file's current position (the end, for a file opened with "a"):
 * a single `write` may take fewer bytes than given.
 *
 * @param handle An open file.
 * @param data The bytes.
 * @returns Once every byte was handed to the kernel.
 * @example
 * ```ts
 * await writeFully(handle, batch);
 * await handle.datasync();
 * ```
 */
export async function writeFully(handle: FileHandle, data: Uint8Array): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done);
    if (bytesWritten <= 0) throw new Error(`write made no progress (${done} of ${data.length} bytes written)`);
    done += bytesWritten;
  }
}
