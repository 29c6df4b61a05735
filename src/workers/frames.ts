import type { EncodedEvent } from "../pipeline/cloud-event.ts";
import { REJECTION_REASONS, type Rejection, type RejectionReason } from "../pipeline/rejection.ts";
import { DEAD_LETTER_RESULTS, type DeadLetter, type DeadLetterResult } from "../lib/dead-letter-file.ts";
import { DELIVERED, type Delivered } from "../pipeline/delivered.ts";

/** What a worker process says to the main process. */
export type WorkerFrame =
  | { readonly kind: "event"; readonly seq: number; readonly event: EncodedEvent }
  | { readonly kind: "listening" }
  /** A dead letter for the main process's file (it alone writes it, so its bound and dedup hold). */
  | { readonly kind: "dead-letter"; readonly seq: number; readonly record: DeadLetter }
  /** The worker's own metrics: pushed (seq 0), or the answer to the main process's pull `seq`. */
  | { readonly kind: "metrics"; readonly seq: number; readonly text: string }
  /** A scrape reached the worker: it asks for the whole relay's metrics. */
  | { readonly kind: "scrape"; readonly seq: number };

/** What the main process says to a worker process. */
export type MainFrame =
  | { readonly kind: "answer"; readonly seq: number; readonly outcome: Delivered | Rejection | "duplicate" }
  | { readonly kind: "ready"; readonly ready: boolean }
  | { readonly kind: "dead-lettered"; readonly seq: number; readonly result: DeadLetterResult }
  /** Asks the worker for its metrics now. */
  | { readonly kind: "pull"; readonly seq: number }
  /** The whole relay's metrics, for the worker's scrape `seq`; undefined if they could not be had. */
  | { readonly kind: "scraped"; readonly seq: number; readonly text: string | undefined };

// One frame a line. Event ids are hex and JSON.stringify never writes a raw newline, so neither
// needs escaping:
//   worker → main   E <seq> <id> <CloudEvent JSON>  |  F …, the same for a TeXML callback (EncodedEvent.texml)  |  L (listening)  |  W <seq> <dead letter JSON>
//                   M <seq> <metrics text as a JSON string>  |  Q <seq> (scrape)
//   main → worker   A <seq> [<TeXML reply as a JSON string>] (accepted)  |  D <seq> (duplicate)  |  X <seq> <rejection JSON>  |  R 0|1 (ready)
//                   K <seq> kept|duplicate|full|failed  |  P <seq> (pull)  |  T <seq> <metrics JSON string, or null>


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
  switch (frame.kind) {
    case "event":
      return `${frame.event.texml === true ? "F" : "E"} ${frame.seq} ${frame.event.id} ${frame.event.json}\n`;
    case "listening":
      return "L\n";
    case "dead-letter":
      return `W ${frame.seq} ${JSON.stringify(frame.record)}\n`;
    case "metrics":
      return `M ${frame.seq} ${JSON.stringify(frame.text)}\n`;
    case "scrape":
      return `Q ${frame.seq}\n`;
  }
}

/**
 * The line for a frame from the main process.
 *
 * @param frame The frame.
 * @returns One line, newline included.
 * @example
 * ```ts
 * socket.write(encodeMainFrame({ kind: "answer", seq: 7, outcome: "duplicate" }));
 * ```
 */
export function encodeMainFrame(frame: MainFrame): string {
  switch (frame.kind) {
    case "ready":
      return frame.ready ? "R 1\n" : "R 0\n";
    case "dead-lettered":
      return `K ${frame.seq} ${frame.result}\n`;
    case "pull":
      return `P ${frame.seq}\n`;
    case "scraped":
      return `T ${frame.seq} ${JSON.stringify(frame.text ?? null)}\n`;
  }
  const { seq, outcome } = frame;
  if (outcome === "duplicate") return `D ${seq}\n`;
  // With the downstream's TeXML answer, as a JSON string (one line), when there is one.
  if (outcome.ok) return outcome.reply === undefined ? `A ${seq}\n` : `A ${seq} ${JSON.stringify(outcome.reply)}\n`;
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
  const head = seqAndRest(line);
  if (head === undefined) return undefined;
  const { kind, seq, rest } = head;
  if (kind === "Q") return rest === undefined ? { kind: "scrape", seq } : undefined;
  if (rest === undefined) return undefined;
  if (kind === "E" || kind === "F") {
    const afterId = rest.indexOf(" ");
    if (afterId === -1) return undefined;
    const event = { id: rest.slice(0, afterId), json: rest.slice(afterId + 1) };
    return { kind: "event", seq, event: kind === "F" ? { ...event, texml: true } : event };
  }
  if (kind === "M") {
    const text = parseJson(rest);
    return typeof text === "string" ? { kind: "metrics", seq, text } : undefined;
  }
  if (kind === "W") {
    const record = parseJson(rest) as DeadLetter | undefined;
    return typeof record === "object" && record !== null && typeof record.reason === "string" ? { kind: "dead-letter", seq, record } : undefined;
  }
  return undefined;
}

/**
 * Reads a line from the main process.
 *
 * @param line One line, without its newline.
 * @returns The frame, or undefined when the line is not one.
 * @example
 * ```ts
 * decodeMainFrame("A 7"); // { kind: "answer", seq: 7, outcome: { ok: true } }
 * ```
 */
export function decodeMainFrame(line: string): MainFrame | undefined {
  if (line === "R 1" || line === "R 0") return { kind: "ready", ready: line === "R 1" };
  const head = seqAndRest(line);
  if (head === undefined) return undefined;
  const { kind, seq, rest } = head;
  if (kind === "A" && rest !== undefined) {
    const reply = parseJson(rest);
    return typeof reply === "string" ? { kind: "answer", seq, outcome: { ok: true, reply } } : undefined;
  }
  if (kind === "A" || kind === "D" || kind === "P") {
    if (rest !== undefined) return undefined;
    return kind === "P" ? { kind: "pull", seq } : { kind: "answer", seq, outcome: kind === "A" ? DELIVERED : "duplicate" };
  }
  if (rest === undefined) return undefined;
  if (kind === "K") return DEAD_LETTER_RESULTS.includes(rest as DeadLetterResult) ? { kind: "dead-lettered", seq, result: rest as DeadLetterResult } : undefined;
  if (kind === "T") {
    const text = parseJson(rest);
    return typeof text === "string" || text === null ? { kind: "scraped", seq, text: text ?? undefined } : undefined;
  }
  if (kind !== "X") return undefined;
  const { reason, detail } = (parseJson(rest) ?? {}) as Partial<Rejection>;
  if (!REJECTION_REASONS.includes(reason as RejectionReason) || typeof detail !== "string") return undefined;
  return { kind: "answer", seq, outcome: { ok: false, reason: reason as RejectionReason, detail } };
}

/** `<letter> <seq>[ <rest>]`: the letter, the sequence number and the rest, if any. */
function seqAndRest(line: string): { kind: string; seq: number; rest: string | undefined } | undefined {
  if (line.length < 3 || line[1] !== " ") return undefined;
  const end = line.indexOf(" ", 2);
  const digits = line.slice(2, end === -1 ? line.length : end);
  if (!/^[0-9]+$/.test(digits)) return undefined;
  const seq = Number(digits);
  if (!Number.isSafeInteger(seq)) return undefined;
  return { kind: line[0] as string, seq, rest: end === -1 ? undefined : line.slice(end + 1) };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
