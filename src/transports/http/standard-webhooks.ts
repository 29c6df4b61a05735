import { createHmac } from "node:crypto";

/** The three Standard Webhooks headers of one signed request. */
export interface StandardWebhookHeaders {
  readonly "webhook-id": string;
  readonly "webhook-timestamp": string;
  readonly "webhook-signature": string;
}

/**
 * Signs a request the Standard Webhooks way (standardwebhooks.com, `v1`): HMAC-SHA256 with the
 * secret's bytes over `<id>.<timestamp>.<body>`, base64, as `v1,<signature>`. Any Standard Webhooks
 * library can then verify the relay with the `whsec_…` secret.
 *
 * @param secret The secret's bytes (the base64 after `whsec_`, decoded).
 * @param id The message id (the event id: stable across retries, so receivers can dedupe).
 * @param timestamp Unix seconds of this attempt.
 * @param body The exact body sent.
 * @returns The headers.
 * @example
 * ```ts
 * const headers = signStandardWebhook(secret, event.id, Math.floor(Date.now() / 1000), event.json);
 * ```
 */
export function signStandardWebhook(secret: Uint8Array, id: string, timestamp: number, body: string): StandardWebhookHeaders {
  const signature = createHmac("sha256", secret).update(`${id}.${timestamp}.${body}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": `v1,${signature}` };
}
