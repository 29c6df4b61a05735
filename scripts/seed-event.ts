// The example REFER status callback from Telnyx's API reference (TexmlReferStatusWebhook), as the
// form body Telnyx POSTs, and one example delivery per registered event type (src/events/examples.ts).
// Shared by the demo, the bench and the tests.
import { encodeForm, REFER_STATUS_EXAMPLE_FIELDS } from "../src/events/examples.ts";

export { encodeForm, EXAMPLES, type ExampleDelivery } from "../src/events/examples.ts";

/** The seed event's fields, in the reference's order. */
export const SEED_FIELDS: ReadonlyArray<readonly [string, string]> = REFER_STATUS_EXAMPLE_FIELDS;

/** The seed event's body. */
export const SEED_BODY = encodeForm(SEED_FIELDS);
