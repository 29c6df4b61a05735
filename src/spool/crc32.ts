/** The 256 CRCs of one byte, for the reflected IEEE polynomial 0xEDB88320 (zlib, PNG, Ethernet). */
const TABLE = makeTable();

function makeTable(): Uint32Array {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
}

/**
 * Computes the CRC-32 (IEEE 802.3, as zlib's `crc32`) of some bytes.
 *
 * Written out here rather than taken from `node:zlib` because `zlib.crc32` is recent Node only and
 * the spool must run unchanged under Deno.
 *
 * @param data The bytes.
 * @returns The checksum as an unsigned 32-bit integer.
 * @example
 * ```ts
 * crc32(new TextEncoder().encode("123456789")); // 0xcbf43926
 * ```
 */
export function crc32(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}
