// The library surface, for people who run their own HTTP server and want telnyx-relay's pieces:
// verify the raw body first, then parse, then validate.
export { parseForm } from "./pipeline/parse-form.ts";
export { createVerifier, verifyMessage } from "./pipeline/verify.ts";
export type { HeaderValue, Verified, VerifiedBody, Verifier, VerifierOptions } from "./pipeline/verify.ts";
export { parsePublicKey } from "./crypto/public-key.ts";
export { validateReferStatus, REFER_CALL_STATUSES } from "./pipeline/validate.ts";
export type { ReferCallStatus, ReferStatusEvent, Valid } from "./pipeline/validate.ts";
export { normalizeDateTime } from "./pipeline/normalize-date-time.ts";
export { eventId } from "./pipeline/event-id.ts";
export { encodeCloudEvent, toCloudEvent, REFER_STATUS_TYPE } from "./pipeline/cloud-event.ts";
export type { CloudEvent, EncodedEvent } from "./pipeline/cloud-event.ts";
export { statusOf } from "./pipeline/rejection.ts";
export type { Rejection, RejectionReason } from "./pipeline/rejection.ts";
export { signDelivery } from "./crypto/sign.ts";
export type { TelnyxSignatureHeaders } from "./crypto/sign.ts";
