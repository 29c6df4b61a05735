// The library surface, for people who run their own HTTP server and want telnyx-relay's pieces:
// verify the raw body first, then decode, recognise and validate with the event-type registry.
export { parseForm } from "./pipeline/parse-form.ts";
export { createVerifier, verifyMessage } from "./pipeline/verify.ts";
export type { HeaderValue, Verified, VerifiedBody, Verifier, VerifierOptions } from "./pipeline/verify.ts";
export { parsePublicKey } from "./crypto/public-key.ts";
// The event-type registry.
export { EVENT_TYPES, ACCEPTED_CONTENT_TYPES, acceptedMediaType, recogniseEvent } from "./events/registry.ts";
export type { DecodedBody, EventIdRule, EventType, FieldFormat, FieldRule, FormBody, FormEventType, JsonBody, JsonEventType, JsonFieldRule, JsonKind, MediaType, Recognition } from "./events/event-type.ts";
export { isWellFormedEventType, JSON_EVENT_TYPES, JSON_GENERIC, JSON_GENERIC_TYPE, jsonCloudEventType, MAX_EVENT_TYPE_LENGTH, unknownJsonEventType } from "./events/json.ts";
export { eventFilter } from "./events/event-filter.ts";
export { parseStrictJson } from "./pipeline/parse-json.ts";
export { decodeJsonBody } from "./pipeline/decode-json.ts";
export { REFER_CALL_STATUSES, REFER_STATUS, REFER_STATUS_TYPE } from "./events/texml.ts";
export type { ReferCallStatus } from "./events/texml.ts";
export { decodeBody, indexFields } from "./pipeline/decode.ts";
export { validateEvent } from "./pipeline/validate.ts";
export type { Validated, ValidEvent, ValidFormEvent, ValidJsonEvent } from "./pipeline/validate.ts";
export { deriveEventId } from "./pipeline/event-id.ts";
export type { SignedDelivery } from "./pipeline/event-id.ts";
// The REFER-only validator of earlier versions, now a thin wrapper over validateEvent.
export { validateReferStatus } from "./pipeline/validate-refer-status.ts";
export type { ReferStatusEvent, Valid } from "./pipeline/validate-refer-status.ts";
export { normalizeDateTime } from "./pipeline/normalize-date-time.ts";
export { encodeCloudEvent, toCloudEvent } from "./pipeline/cloud-event.ts";
export type { CloudEvent, EncodedEvent } from "./pipeline/cloud-event.ts";
export { statusOf } from "./pipeline/rejection.ts";
export type { Rejection, RejectionReason } from "./pipeline/rejection.ts";
export { signDelivery } from "./crypto/sign.ts";
export type { TelnyxSignatureHeaders } from "./crypto/sign.ts";
