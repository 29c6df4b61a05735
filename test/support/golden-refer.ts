// The exact CloudEvent lines the relay wrote for REFER status callbacks before the event-type
// registry (captured from commit 909f319): the registry must write the same bytes. The ids are
// those of issue 16's id rule (a hash of the type and the raw body, docs/events.md "Event ids"),
// which replaced the hash of the decoded fields: everything else is as captured.

/** The line for the seed event (scripts/seed-event.ts SEED_BODY). */
export const SEED_LINE =
  '{"specversion":"1.0","id":"b6093fac22c385c482f055f381aa29b9","source":"urn:telnyx:account:f5586561-8ff0-4291-a51b-c7dfe4139ff9",' +
  '"type":"com.telnyx.texml.refer.status","time":"2024-01-15T10:30:00Z","subject":"v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ",' +
  '"datacontenttype":"application/json","data":{"AccountSid":"f5586561-8ff0-4291-a51b-c7dfe4139ff9",' +
  '"CallSid":"v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ","CallSidLegacy":"v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ",' +
  '"ReferCallStatus":"in-progress","Timestamp":"2024-01-15T10:30:00Z","NotifySipResponseCode":"200","ReferSipResponseCode":"202"}}';

/** Extra fields appended to the seed body: an integer-like name, escapes, `__proto__`. */
export const EXTRA_FIELDS_SUFFIX = "&0=zero&Note=caf%C3%A9+%22q%22%0A&__proto__=p";

/** The line for SEED_BODY + EXTRA_FIELDS_SUFFIX: data in body order, JSON escapes as JSON.stringify writes them. */
export const EXTRA_FIELDS_LINE =
  '{"specversion":"1.0","id":"d997d606ab7553e79e9f0cbbb07e113f","source":"urn:telnyx:account:f5586561-8ff0-4291-a51b-c7dfe4139ff9",' +
  '"type":"com.telnyx.texml.refer.status","time":"2024-01-15T10:30:00Z","subject":"v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ",' +
  '"datacontenttype":"application/json","data":{"AccountSid":"f5586561-8ff0-4291-a51b-c7dfe4139ff9",' +
  '"CallSid":"v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ","CallSidLegacy":"v3:9X2vxPDFY2RHSJ1EdMS0RHRksMTg7ldNxdjWbVr9zBjbGjGsSe-aiQ",' +
  '"ReferCallStatus":"in-progress","Timestamp":"2024-01-15T10:30:00Z","NotifySipResponseCode":"200","ReferSipResponseCode":"202",' +
  '"0":"zero","Note":"café \\"q\\"\\n","__proto__":"p"}}';
