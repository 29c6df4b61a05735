/**
 * Splits a byte stream into lines (UTF-8, a character may be cut between chunks).
 *
 * @param onLine Called with each complete line, without its newline.
 * @returns A `data` listener.
 * @example
 * ```ts
 * socket.on("data", splitLines((line) => handle(line)));
 * ```
 */
export function splitLines(onLine: (line: string) => void): (chunk: Uint8Array) => void {
  const decoder = new TextDecoder("utf-8");
  // The start of a line still without its newline, in pieces: joined once, when the line ends, so
  // a line of many chunks (a large event) costs its length, not its length times its chunks.
  const pieces: string[] = [];
  return (chunk) => {
    const text = decoder.decode(chunk, { stream: true });
    let start = 0;
    let end: number;
    while ((end = text.indexOf("\n", start)) !== -1) {
      const tail = text.slice(start, end);
      if (pieces.length === 0) onLine(tail);
      else {
        pieces.push(tail);
        const line = pieces.join("");
        pieces.length = 0;
        onLine(line);
      }
      start = end + 1;
    }
    if (start < text.length) pieces.push(text.slice(start));
  };
}
