import type { HeaderValue } from "../pipeline/verify.ts";

/** The request headers the relay reads, found in one pass over the raw list. */
export interface RequestHeaders {
  /** The first Content-Type, as `req.headers` would keep it. */
  readonly contentType: string | undefined;
  /** The first Content-Length (Node's parser refuses conflicting ones). */
  readonly contentLength: string | undefined;
  /** True when an Expect header asks for `100-continue`. */
  readonly expectsContinue: boolean;
  /** Every telnyx-timestamp value: one string, or all of them when repeated. */
  readonly timestamp: HeaderValue;
  /** Every telnyx-signature-ed25519 value: one string, or all of them when repeated. */
  readonly signature: HeaderValue;
}

// Why not `req.headersDistinct` (Node 24, Deno 2.9), which also keeps repeated headers apart: it
// builds an object of arrays for every header received, where this reads five and allocates only
// the result. Measured with `node scripts/request-headers-bench.ts` (real IncomingMessages parsed
// from Telnyx-like requests of 11 headers, the two readers alternated in one run, medians of 5
// rounds of 20,000; 2-vCPU shared VM, 2026-11-29): Node 24.21 0.47–0.96 µs here against 4.3–6.4 µs
// for headersDistinct, Deno 2.9.6 0.44–0.88 µs against 2.2–4.1 µs. The 3.9–5.4 µs saved on Node is
// 5–6.5% of the 83 µs of CPU a relayed request costs (docs/performance.md), as much as the relay's
// own parsing, validating and encoding together (4–6 µs), and the gap to the 1.0× baseline target;
// so it stays. (A wrk A/B on the same shared machine swung 1,495–2,704 req/s between rounds of one
// server: too noisy to see a difference of this size end to end.)

/**
 * Reads the five headers the webhook path needs from `req.rawHeaders`, in one pass. `req.headers`
 * merges or drops repeated headers, and the verifier must see a repeated signature header to
 * refuse it; one pass finds all five, where a lookup per header walked the list once for each.
 *
 * @param raw Names and values, alternating, as received (names in any case).
 * @returns The headers found.
 * @example
 * ```ts
 * const headers = readRequestHeaders(req.rawHeaders);
 * verify(headers.timestamp, headers.signature, body);
 * ```
 */
export function readRequestHeaders(raw: readonly string[]): RequestHeaders {
  let contentType: string | undefined;
  let contentLength: string | undefined;
  let expectsContinue = false;
  let timestamp: string | string[] | undefined;
  let signature: string | string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    // Compare lengths first: most headers are none of these and cost one comparison.
    switch (name.length) {
      case 6:
        if (name.toLowerCase() === "expect" && /100-continue/i.test(raw[i + 1] as string)) expectsContinue = true;
        break;
      case 12:
        if (contentType === undefined && name.toLowerCase() === "content-type") contentType = raw[i + 1] as string;
        break;
      case 14:
        if (contentLength === undefined && name.toLowerCase() === "content-length") contentLength = raw[i + 1] as string;
        break;
      case 16:
        if (name.toLowerCase() === "telnyx-timestamp") timestamp = add(timestamp, raw[i + 1] as string);
        break;
      case 24:
        if (name.toLowerCase() === "telnyx-signature-ed25519") signature = add(signature, raw[i + 1] as string);
        break;
    }
  }
  return { contentType, contentLength, expectsContinue, timestamp, signature };
}

function add(found: string | string[] | undefined, value: string): string | string[] {
  if (found === undefined) return value;
  if (typeof found === "string") return [found, value];
  found.push(value);
  return found;
}
