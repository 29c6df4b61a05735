import { Buffer } from "node:buffer";
import { connect } from "node:net";
import type { KeyObject } from "node:crypto";
import { signDelivery } from "../../src/crypto/sign.ts";
import { nowSeconds } from "./keys.ts";

export const FORM = "application/x-www-form-urlencoded";

/** A response, read whole. */
export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** POSTs a body and reads the answer. */
export async function post(url: string, body: string | Uint8Array, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(url, { method: "POST", headers, body });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** POSTs a body signed like Telnyx with `privateKey`, as a form. */
export function postSigned(url: string, privateKey: KeyObject, body: string, timestamp = nowSeconds()): Promise<Answer> {
  return post(url, body, { "content-type": FORM, ...signDelivery(privateKey, body, timestamp) });
}

/**
 * Sends raw bytes over a fresh TCP connection and returns everything the server sent back before
 * it closed the connection (or `timeoutMs` passed). For requests fetch() will not make: repeated
 * headers, lying lengths, half-sent bodies.
 */
export function rawExchange(port: number, request: string | Uint8Array, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on("data", (chunk) => chunks.push(chunk));
    socket.on("error", (error: NodeJS.ErrnoException) => {
      // A server that answers early and closes may reset the connection while we still write.
      if (error.code !== "ECONNRESET" && error.code !== "EPIPE") reject(error);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("latin1"));
    });
    socket.write(request);
  });
}

/** The status code of the first response in a raw exchange. */
export function statusOfRaw(response: string): number {
  const match = /^HTTP\/1\.1 (\d{3})/.exec(response);
  if (!match) throw new Error(`not an HTTP response: ${JSON.stringify(response.slice(0, 80))}`);
  return Number(match[1]);
}

/**
 * The outcome of a 200: for a TeXML callback (a TeXML document answered) from the
 * `Telnyx-Relay-Status` / `Telnyx-Relay-Event-Id` headers, otherwise from the JSON body.
 */
export function outcomeOf(answer: { readonly headers?: Headers | Record<string, string | string[] | undefined>; readonly text: string }): { status: string; id: string } {
  const header = (name: string): string | undefined => {
    const { headers } = answer;
    if (headers === undefined) return undefined;
    if (headers instanceof Headers) return headers.get(name) ?? undefined;
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const status = header("telnyx-relay-status");
  const id = header("telnyx-relay-event-id");
  if (status !== undefined && id !== undefined) return { status, id };
  return JSON.parse(answer.text) as { status: string; id: string };
}
