// A TypeScript user of the installed package: scripts/pack-test.ts type-checks it with tsc
// (`module: nodenext`, strict, no skipLibCheck) in the scratch project the tarball was installed
// into, so the package's `exports` → `types` and every .d.ts it reaches must resolve. (Kept out of
// the repository's own type check, tsconfig.json's `exclude`: "telnyx-relay" is the built package.)
import type { KeyObject } from "node:crypto";
import {
  createVerifier,
  deriveEventId,
  encodeCloudEvent,
  indexFields,
  parseForm,
  parsePublicKey,
  REFER_STATUS,
  signDelivery,
  statusOf,
  validateReferStatus,
  type CloudEvent,
  type HeaderValue,
  type ReferStatusEvent,
  type Rejection,
  type Verifier,
} from "telnyx-relay";

const keys: KeyObject[] = [parsePublicKey(process.env.TELNYX_PUBLIC_KEY ?? "")];
const verify: Verifier = createVerifier({ keys, toleranceSeconds: 300, now: Date.now });

/** What a handler answers: a status and, for a valid event, the event. */
type Outcome = { status: number; event?: ReferStatusEvent; json?: string };

export function handle(timestamp: HeaderValue, signature: HeaderValue, rawBody: Uint8Array): Outcome {
  const verified = verify(timestamp, signature, rawBody);
  if (!verified.ok) return { status: statusOf(verified.reason) };
  const fields = parseForm(verified.body);
  const valid = validateReferStatus(fields);
  if (!valid.ok) {
    const rejection: Rejection = valid;
    return { status: statusOf(rejection.reason) };
  }
  const id: string = deriveEventId(REFER_STATUS, indexFields(fields), verified);
  return { status: 200, event: valid.event, json: encodeCloudEvent(valid.event, id).json };
}

export function sign(privateKey: KeyObject, body: string): Record<string, string> {
  return { ...signDelivery(privateKey, body, Math.floor(Date.now() / 1000)) };
}

export type { CloudEvent };
