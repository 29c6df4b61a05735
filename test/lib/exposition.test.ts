import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { sumExpositions } from "../../src/lib/exposition.ts";
import { createMetrics } from "../../src/lib/metrics.ts";

const REFER_TYPE = "com.telnyx.texml.refer.status";

/** The sample lines of an exposition, as "name{labels}" → value. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const space = line.lastIndexOf(" ");
    assert.ok(!found.has(line.slice(0, space)), `sample written twice: ${line}`);
    found.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return found;
}

describe("sumExpositions()", () => {
  test("the main process's and two workers' metrics add up sample by sample, labels a process alone has included", () => {
    const main = createMetrics();
    main.request(200);
    main.request(200);
    main.accepted(REFER_TYPE);
    main.accepted(REFER_TYPE);
    main.forwarded(0.003);
    const first = createMetrics();
    first.request(200);
    first.request(401);
    first.verificationFailure("bad_signature");
    first.accepted(REFER_TYPE);
    const second = createMetrics();
    second.request(401);
    second.request(413);
    second.verificationFailure("stale_timestamp");
    second.duplicate(REFER_TYPE);

    const sum = sumExpositions([main.render(), first.render(), second.render()]);
    const got = samples(sum);
    assert.equal(got.get('telnyx_relay_requests_total{status="200"}'), 3);
    assert.equal(got.get('telnyx_relay_requests_total{status="401"}'), 2);
    assert.equal(got.get('telnyx_relay_requests_total{status="413"}'), 1);
    assert.equal(got.get('telnyx_relay_verification_failures_total{reason="bad_signature"}'), 1);
    assert.equal(got.get('telnyx_relay_verification_failures_total{reason="stale_timestamp"}'), 1);
    assert.equal(got.get(`telnyx_relay_events_accepted_total{type="${REFER_TYPE}"}`), 3);
    assert.equal(got.get(`telnyx_relay_events_duplicate_total{type="${REFER_TYPE}"}`), 1);
    assert.equal(got.get('telnyx_relay_delivery_latency_seconds_bucket{le="0.005"}'), 1);
    assert.equal(got.get('telnyx_relay_delivery_latency_seconds_bucket{le="0.001"}'), 0);
    assert.equal(got.get("telnyx_relay_delivery_latency_seconds_count"), 1);
    assert.equal(got.get("telnyx_relay_delivery_latency_seconds_sum"), 0.003);
  });

  test("each family keeps one HELP and one TYPE line, in the first text's order, with its samples under it", () => {
    const one = createMetrics();
    one.request(200);
    const other = createMetrics();
    other.request(503);
    const sum = sumExpositions([one.render(), other.render()]);
    const lines = sum.trimEnd().split("\n");
    const declared = lines.filter((line) => line.startsWith("# TYPE ")).map((line) => line.split(" ")[2]);
    const single = one.render().trimEnd().split("\n").filter((line) => line.startsWith("# TYPE ")).map((line) => line.split(" ")[2]);
    assert.deepEqual(declared, single);
    assert.equal(lines.filter((line) => line.startsWith("# HELP telnyx_relay_requests_total ")).length, 1);
    const at = lines.indexOf("# TYPE telnyx_relay_requests_total counter");
    assert.deepEqual(lines.slice(at + 1, at + 3), ['telnyx_relay_requests_total{status="200"} 1', 'telnyx_relay_requests_total{status="503"} 1']);
  });

  test("one text sums to itself; a family only a later text has is added at the end with its header", () => {
    const text = createMetrics().render();
    assert.equal(sumExpositions([text]), text);
    const extra = "# HELP x_bytes X.\n# TYPE x_bytes gauge\nx_bytes 42\n";
    assert.equal(sumExpositions([text, extra]), `${text}${extra}`);
    assert.equal(sumExpositions([]), "");
  });

  test("lines that are not samples are dropped, not summed into something else", () => {
    assert.equal(sumExpositions(["# TYPE a counter\na 1\nnot a sample\na x\n# just a comment\n", "a 2\n"]), "# TYPE a counter\na 3\n");
  });
});
