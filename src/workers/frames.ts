import type { EncodedEvent } from "../pipeline/cloud-event.ts";
import { REJECTION_REASONS, type Rejection, type RejectionReason } from "../pipeline/rejection.ts";
import type { Delivered } from "../sinks/sink.ts";

/** What a worker process says to the primary. */
export type WorkerFrame =
  | { readonly kind: "event"; readonly seq: number; readonly event: EncodedEvent }
  | { readonly kind: "listening" };

/** What the primary says to a worker process. */
export type PrimaryFrame =
  | { readonly kind: "answer"; readonly seq: number; readonly outcome: Delivered | Rejection | "duplicate" }
  | { readonly kind: "ready"; readonly ready: boolean };

// One frame a line. Event ids are hex and JSON.stringify never writes a raw newline, so neither
// needs escaping:
//   worker → primary   E <seq> <id> <CloudEvent JSON>   |   L  (listening)
//   primary → worker   A <seq> (accepted)  |  D <seq> (duplicate)  |  X <seq> <rejection JSON>  |  R 0|1 (ready)
const DELIVERED: Delivered = { ok: true };

/**
 * The line for a frame from a worker.
 *
 * @param frame The frame.
 * @returns One line, newline included.
 * @example
 * ```ts
 * socket.write(encodeWorkerFrame({ kind: "event", seq: 7, event }));
 * ```
 */
export function encodeWorkerFrame(frame: WorkerFrame): string {
  return frame.kind === "event" ? `E ${frame.seq} ${frame.event.id} ${frame.event.json}\n` : "L\n";
}

/**
 * The line for a frame from the primary.
 *
 * @param frame The frame.
 * @returns One line, newline included.
 * @example
 * ```ts
 * socket.write(encodePrimaryFrame({ kind: "answer", seq: 7, outcome: "duplicate" }));
 * ```
 */
export function encodePrimaryFrame(frame: PrimaryFrame): string {
  if (frame.kind === "ready") return frame.ready ? "R 1\n" : "R 0\n";
  const { seq, outcome } = frame;
  if (outcome === "duplicate") return `D ${seq}\n`;
  if (outcome.ok) return `A ${seq}\n`;
  return `X ${seq} ${JSON.stringify({ reason: outcome.reason, detail: outcome.detail })}\n`;
}

/**
 * Reads a line from a worker.
 *
 * @param line One line, without its newline.
 * @returns The frame, or undefined when the line is not one.
 * @example
 * ```ts
 * decodeWorkerFrame("L"); // { kind: "listening" }
 * ```
 */
export function decodeWorkerFrame(line: string): WorkerFrame | undefined {
  if (line === "L") return { kind: "listening" };
  if (!line.startsWith("E ")) return undefined;
  const afterSeq = line.indexOf(" ", 2);
  const afterId = afterSeq === -1 ? -1 : line.indexOf(" ", afterSeq + 1);
  if (afterId === -1) return undefined;
  const seq = Number(line.slice(2, afterSeq));
  if (!Number.isSafeInteger(seq)) return undefined;
  return { kind: "event", seq, event: { id: line.slice(afterSeq + 1, afterId), json: line.slice(afterId + 1) } };
}

/**
 * Reads a line from the primary.
 *
 * @param line One line, without its newline.
 * @returns The frame, or undefined when the line is not one.
 * @example
 * ```ts
 * decodePrimaryFrame("A 7"); // { kind: "answer", seq: 7, outcome: { ok: true } }
 * ```
 */
export function decodePrimaryFrame(line: string): PrimaryFrame | undefined {
  if (line === "R 1" || line === "R 0") return { kind: "ready", ready: line === "R 1" };
  const kind = line.slice(0, 2);
  if (kind !== "A " && kind !== "D " && kind !== "X ") return undefined;
  const end = kind === "X " ? line.indexOf(" ", 2) : line.length;
  const seq = Number(line.slice(2, end === -1 ? line.length : end));
  if (!Number.isSafeInteger(seq)) return undefined;
  if (kind === "A ") return { kind: "answer", seq, outcome: DELIVERED };
  if (kind === "D ") return { kind: "answer", seq, outcome: "duplicate" };
  if (end === -1) return undefined;
  try {
    const { reason, detail } = JSON.parse(line.slice(end + 1)) as Rejection;
    if (!REJECTION_REASONS.includes(reason as RejectionReason) || typeof detail !== "string") return undefined;
    return { kind: "answer", seq, outcome: { ok: false, reason, detail } };
  } catch {
    return undefined;
  }
}

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
