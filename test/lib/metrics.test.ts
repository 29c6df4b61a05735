import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EVENT_TYPES } from "../../src/events/registry.ts";
import { REFER_STATUS_TYPE } from "../../src/events/texml.ts";
import { createMetrics, MAX_EXTRA_TYPE_LABELS, OTHER_TYPES } from "../../src/lib/metrics.ts";

const NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
const LABEL = `[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\\\n]|\\\\[\\\\"n])*"`;
const VALUE = "(?:[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]Inf|NaN)";
const SAMPLE = new RegExp(`^(${NAME})(\\{${LABEL}(?:,${LABEL})*\\})? (${VALUE})$`);
const HELP = new RegExp(`^# HELP (${NAME}) \\S.*$`);
const TYPE = new RegExp(`^# TYPE (${NAME}) (counter|gauge|histogram|summary|untyped)$`);

interface Family {
  readonly type: string;
  readonly samples: Array<{ readonly name: string; readonly labels: string; readonly value: number }>;
}

/**
 * Parses Prometheus text exposition (0.0.4) strictly: every line is a HELP, a TYPE or a sample; each
 * family has HELP then TYPE before its samples; samples belong to the family just declared (a
 * histogram's `_bucket`, `_sum`, `_count` included); no family is declared twice.
 */
function parseExposition(text: string): Map<string, Family> {
  assert.ok(text.endsWith("\n"), "the exposition ends with a newline");
  const families = new Map<string, Family>();
  let current: { name: string; family: Family } | undefined;
  let pendingHelp: string | undefined;
  for (const line of text.slice(0, -1).split("\n")) {
    const help = HELP.exec(line);
    if (help) {
      assert.equal(pendingHelp, undefined, `two HELP lines in a row: ${line}`);
      pendingHelp = help[1];
      continue;
    }
    const type = TYPE.exec(line);
    if (type) {
      const name = type[1] as string;
      assert.equal(pendingHelp, name, `TYPE ${name} is not preceded by its HELP`);
      assert.ok(!families.has(name), `family ${name} declared twice`);
      pendingHelp = undefined;
      const family: Family = { type: type[2] as string, samples: [] };
      families.set(name, family);
      current = { name, family };
      continue;
    }
    const sample = SAMPLE.exec(line);
    assert.ok(sample, `not a valid exposition line: ${JSON.stringify(line)}`);
    assert.equal(pendingHelp, undefined, `a sample between HELP and TYPE: ${line}`);
    assert.ok(current, `a sample before any TYPE: ${line}`);
    const name = sample[1] as string;
    const allowed = current.family.type === "histogram" ? ["_bucket", "_sum", "_count"].map((suffix) => current?.name + suffix) : [current.name];
    assert.ok(allowed.includes(name), `sample ${name} does not belong to family ${current.name}`);
    current.family.samples.push({ name, labels: sample[2] ?? "", value: Number(sample[3]) });
  }
  assert.equal(pendingHelp, undefined, "a HELP line without its TYPE at the end");
  return families;
}

function family(families: Map<string, Family>, name: string): Family {
  const found = families.get(name);
  assert.ok(found, `family ${name} is missing`);
  return found;
}

function value(families: Map<string, Family>, name: string, labels = ""): number | undefined {
  for (const f of families.values()) {
    const sample = f.samples.find((s) => s.name === name && s.labels === labels);
    if (sample) return sample.value;
  }
  return undefined;
}

const LATENCY = "telnyx_relay_delivery_latency_seconds";
const REFER = `{type="${REFER_STATUS_TYPE}"}`;

describe("the exposition parser used by these tests", () => {
  test("refuses a sample line with a stray space, a family without HELP, and a sample of another family", () => {
    assert.throws(() => parseExposition("# HELP a x\n# TYPE a counter\na  1\n"));
    assert.throws(() => parseExposition("# TYPE a counter\na 1\n"));
    assert.throws(() => parseExposition("# HELP a x\n# TYPE a counter\nb 1\n"));
    assert.throws(() => parseExposition('# HELP a x\n# TYPE a counter\na{l="1} 1\n'));
    // The twin: a correct exposition passes.
    assert.equal(parseExposition('# HELP a x\n# TYPE a counter\na{l="1"} 1\na 2\n').size, 1);
  });
});

describe("createMetrics().render()", () => {
  test("a fresh set of metrics renders valid exposition with every counter at 0 and no spool gauges", () => {
    const families = parseExposition(createMetrics().render());
    for (const name of [
      "telnyx_relay_requests_total",
      "telnyx_relay_verification_failures_total",
      "telnyx_relay_events_accepted_total",
      "telnyx_relay_events_duplicate_total",
      "telnyx_relay_events_forwarded_total",
      "telnyx_relay_delivery_retries_total",
    ]) {
      assert.equal(family(families, name).type, "counter", name);
    }
    assert.equal(family(families, "telnyx_relay_requests_total").samples.length, 0);
    // The event counters are labelled by CloudEvents type, and every registered type starts at 0.
    for (const { type } of EVENT_TYPES) {
      assert.equal(value(families, "telnyx_relay_events_accepted_total", `{type="${type}"}`), 0, type);
      assert.equal(value(families, "telnyx_relay_events_duplicate_total", `{type="${type}"}`), 0, type);
    }
    assert.equal(family(families, "telnyx_relay_events_accepted_total").samples.length, EVENT_TYPES.length);
    assert.equal(value(families, "telnyx_relay_events_accepted_total"), undefined, "no unlabelled sample");
    assert.equal(family(families, LATENCY).type, "histogram");
    assert.equal(value(families, `${LATENCY}_bucket`, '{le="+Inf"}'), 0);
    assert.equal(value(families, `${LATENCY}_count`), 0);
    assert.equal(value(families, `${LATENCY}_sum`), 0);
    assert.equal(families.has("telnyx_relay_spool_depth"), false);
    assert.equal(families.has("telnyx_relay_spool_bytes"), false);
  });

  test("counters count each call, by label where they have one", () => {
    const metrics = createMetrics();
    metrics.request(200);
    metrics.request(200);
    metrics.request(401);
    metrics.verificationFailure("bad_signature");
    metrics.verificationFailure("stale_timestamp");
    metrics.verificationFailure("bad_signature");
    for (let i = 0; i < 3; i++) metrics.accepted(REFER_STATUS_TYPE);
    metrics.duplicate(REFER_STATUS_TYPE);
    metrics.retry();
    metrics.retry();
    metrics.forwarded(0.01);
    const families = parseExposition(metrics.render());
    assert.equal(value(families, "telnyx_relay_requests_total", '{status="200"}'), 2);
    assert.equal(value(families, "telnyx_relay_requests_total", '{status="401"}'), 1);
    assert.equal(value(families, "telnyx_relay_requests_total", '{status="503"}'), undefined);
    assert.equal(value(families, "telnyx_relay_verification_failures_total", '{reason="bad_signature"}'), 2);
    assert.equal(value(families, "telnyx_relay_verification_failures_total", '{reason="stale_timestamp"}'), 1);
    assert.equal(value(families, "telnyx_relay_events_accepted_total", REFER), 3);
    assert.equal(value(families, "telnyx_relay_events_duplicate_total", REFER), 1);
    assert.equal(value(families, "telnyx_relay_delivery_retries_total"), 2);
    assert.equal(value(families, "telnyx_relay_events_forwarded_total"), 1);
  });

  test("the event counters count each type apart, and a type not given at creation appears when first counted", () => {
    const metrics = createMetrics(["com.example.a"]);
    metrics.accepted("com.example.b");
    metrics.accepted("com.example.b");
    metrics.duplicate("com.example.a");
    const families = parseExposition(metrics.render());
    assert.equal(value(families, "telnyx_relay_events_accepted_total", '{type="com.example.a"}'), 0);
    assert.equal(value(families, "telnyx_relay_events_accepted_total", '{type="com.example.b"}'), 2);
    assert.equal(value(families, "telnyx_relay_events_duplicate_total", '{type="com.example.a"}'), 1);
    assert.equal(value(families, "telnyx_relay_events_duplicate_total", '{type="com.example.b"}'), undefined);
  });

  test(`the type labels are bounded: the registry's and ${MAX_EXTRA_TYPE_LABELS} more, first come; the rest count under type="${OTHER_TYPES}", in every family alike`, () => {
    const metrics = createMetrics(["com.example.known"]);
    for (let i = 0; i < MAX_EXTRA_TYPE_LABELS + 50; i++) {
      metrics.unknown(`com.telnyx.new.t${i}`);
      metrics.accepted(`com.telnyx.new.t${i}`);
    }
    metrics.accepted("com.telnyx.new.t0");
    metrics.duplicate("com.telnyx.new.t1");
    metrics.filtered(`com.telnyx.new.t${MAX_EXTRA_TYPE_LABELS}`);
    metrics.accepted("com.example.known");
    const families = parseExposition(metrics.render());
    const labels = new Set([...families.values()].flatMap((family) => family.samples.map((sample) => sample.labels)).filter((labels) => labels.startsWith("{type=")));
    assert.equal(labels.size, 1 + MAX_EXTRA_TYPE_LABELS + 1, "the registry's, the extra ones, and other");
    assert.equal(value(families, "telnyx_relay_events_accepted_total", '{type="com.telnyx.new.t0"}'), 2);
    assert.equal(value(families, "telnyx_relay_events_duplicate_total", '{type="com.telnyx.new.t1"}'), 1);
    assert.equal(value(families, "telnyx_relay_events_unknown_total", `{type="com.telnyx.new.t${MAX_EXTRA_TYPE_LABELS - 1}"}`), 1);
    assert.equal(value(families, "telnyx_relay_events_unknown_total", `{type="${OTHER_TYPES}"}`), 50);
    assert.equal(value(families, "telnyx_relay_events_accepted_total", `{type="${OTHER_TYPES}"}`), 50);
    assert.equal(value(families, "telnyx_relay_events_filtered_total", `{type="${OTHER_TYPES}"}`), 1);
    assert.equal(value(families, "telnyx_relay_events_accepted_total", '{type="com.example.known"}'), 1);
  });

  test("a type label is escaped, so no type can break the exposition", () => {
    const metrics = createMetrics([]);
    metrics.accepted('a"b\\c\nd');
    const families = parseExposition(metrics.render());
    assert.equal(value(families, "telnyx_relay_events_accepted_total", '{type="a\\"b\\\\c\\nd"}'), 1);
  });

  test("the latency histogram's buckets are cumulative, +Inf equals the count, and the sum is the total", () => {
    const metrics = createMetrics();
    const samples = [0.0005, 0.001, 0.003, 0.2, 0.2, 4, 60];
    for (const seconds of samples) metrics.forwarded(seconds);
    const families = parseExposition(metrics.render());
    const buckets = family(families, LATENCY).samples.filter((s) => s.name === `${LATENCY}_bucket`);
    const bounds = buckets.map((b) => {
      const match = /^\{le="([^"]+)"\}$/.exec(b.labels);
      assert.ok(match, b.labels);
      return Number(match[1] === "+Inf" ? Infinity : match[1]);
    });
    assert.equal(bounds.at(-1), Infinity, "the last bucket is +Inf");
    for (let i = 1; i < buckets.length; i++) {
      assert.ok((bounds[i] as number) > (bounds[i - 1] as number), "bounds increase");
      assert.ok((buckets[i] as { value: number }).value >= (buckets[i - 1] as { value: number }).value, "buckets are cumulative");
    }
    // Each bucket holds exactly the samples not above its bound.
    buckets.forEach((bucket, i) => {
      assert.equal(bucket.value, samples.filter((s) => s <= (bounds[i] as number)).length, `le=${bounds[i]}`);
    });
    assert.equal(value(families, `${LATENCY}_bucket`, '{le="0.001"}'), 2, "a sample equal to a bound counts in it");
    assert.equal(value(families, `${LATENCY}_bucket`, '{le="+Inf"}'), samples.length);
    assert.equal(value(families, `${LATENCY}_count`), samples.length);
    const sum = value(families, `${LATENCY}_sum`) as number;
    assert.ok(Math.abs(sum - samples.reduce((a, b) => a + b, 0)) < 1e-9, `sum ${sum}`);
  });

  test("the spool gauges appear only once spool() is set, and read its source at each render", () => {
    const metrics = createMetrics();
    assert.equal(parseExposition(metrics.render()).has("telnyx_relay_spool_depth"), false);
    let spool = { depth: 3, bytes: 4096 };
    metrics.spool(() => spool);
    let families = parseExposition(metrics.render());
    assert.equal(family(families, "telnyx_relay_spool_depth").type, "gauge");
    assert.equal(family(families, "telnyx_relay_spool_bytes").type, "gauge");
    assert.equal(value(families, "telnyx_relay_spool_depth"), 3);
    assert.equal(value(families, "telnyx_relay_spool_bytes"), 4096);
    spool = { depth: 0, bytes: 0 };
    families = parseExposition(metrics.render());
    assert.equal(value(families, "telnyx_relay_spool_depth"), 0);
    assert.equal(value(families, "telnyx_relay_spool_bytes"), 0);
  });

  test("the dead-letter file's gauge and counters appear only once deadLetterFile() is set, read at each render", () => {
    const metrics = createMetrics();
    assert.equal(parseExposition(metrics.render()).has("telnyx_relay_dead_letter_bytes"), false);
    let file = { bytes: 2048, kept: { invalid_event: 4, downstream_rejected: 1 }, duplicates: 3, refused: 1 };
    metrics.deadLetterFile(() => file);
    let families = parseExposition(metrics.render());
    // Every record the file writes, whatever wrote it: invalid deliveries (the relay) and refused events (the deliverer).
    assert.equal(family(families, "telnyx_relay_events_dead_lettered_total").type, "counter");
    assert.equal(value(families, "telnyx_relay_events_dead_lettered_total", '{reason="invalid_event"}'), 4);
    assert.equal(value(families, "telnyx_relay_events_dead_lettered_total", '{reason="downstream_rejected"}'), 1);
    assert.equal(family(families, "telnyx_relay_dead_letter_bytes").type, "gauge");
    assert.equal(family(families, "telnyx_relay_dead_letters_duplicate_total").type, "counter");
    assert.equal(family(families, "telnyx_relay_dead_letters_refused_total").type, "counter");
    assert.equal(value(families, "telnyx_relay_dead_letter_bytes"), 2048);
    assert.equal(value(families, "telnyx_relay_dead_letters_duplicate_total"), 3);
    assert.equal(value(families, "telnyx_relay_dead_letters_refused_total"), 1);
    file = { bytes: 4096, kept: { invalid_event: 4, downstream_rejected: 1 }, duplicates: 5, refused: 2 };
    families = parseExposition(metrics.render());
    assert.equal(value(families, "telnyx_relay_dead_letter_bytes"), 4096);
    assert.equal(value(families, "telnyx_relay_dead_letters_refused_total"), 2);
  });
});

describe("createMetrics() NATS JetStream block", () => {
  const PUBACK = "telnyx_relay_nats_puback_seconds";

  test("absent until the NATS transport does something (the HTTP and stdout modes do not show it)", () => {
    assert.equal(parseExposition(createMetrics().render()).has("telnyx_relay_nats_published_total"), false);
  });

  test("publishes, server-side duplicates, retries, reconnects and the PubAck latency histogram, in valid exposition", () => {
    const metrics = createMetrics();
    metrics.natsPublished(0.002, false);
    metrics.natsPublished(0.3, true);
    metrics.natsPublished(-1, false); // a clock stepped back counts as 0
    metrics.natsRetry();
    metrics.natsReconnect();
    metrics.natsReconnect();
    const families = parseExposition(metrics.render());
    assert.equal(value(families, "telnyx_relay_nats_published_total"), 3);
    assert.equal(value(families, "telnyx_relay_nats_duplicates_total"), 1);
    assert.equal(value(families, "telnyx_relay_nats_retries_total"), 1);
    assert.equal(value(families, "telnyx_relay_nats_reconnects_total"), 2);
    assert.equal(family(families, PUBACK).type, "histogram");
    assert.equal(value(families, `${PUBACK}_bucket`, '{le="0.001"}'), 1);
    assert.equal(value(families, `${PUBACK}_bucket`, '{le="0.0025"}'), 2);
    assert.equal(value(families, `${PUBACK}_bucket`, '{le="0.5"}'), 3);
    assert.equal(value(families, `${PUBACK}_bucket`, '{le="+Inf"}'), 3);
    assert.equal(value(families, `${PUBACK}_count`), 3);
    assert.ok(Math.abs((value(families, `${PUBACK}_sum`) as number) - 0.302) < 1e-9);
  });
});
