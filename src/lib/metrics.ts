/**
 * Counters, gauges and one histogram, rendered in the Prometheus text exposition format (0.0.4)
 * by hand: no client library, nothing allocated per request beyond a map lookup.
 *
 * @module
 */

import { EVENT_TYPES } from "../events/registry.ts";
import type { DeadLetterStats } from "./dead-letter-file.ts";

/**
 * The most CloudEvents types, beyond the registry's, that get their own `type` label: a signed
 * webhook of a type the relay does not know is typed by its `event_type`, so the label values are
 * bounded here (first come, first labelled); the rest are counted under {@link OTHER_TYPES}.
 */
export const MAX_EXTRA_TYPE_LABELS = 100;
/** The `type` label of the events past {@link MAX_EXTRA_TYPE_LABELS}. */
export const OTHER_TYPES = "other";

/** Latency buckets, in seconds: from a loopback round trip to a downstream near its timeout. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The relay's metrics. */
export interface Metrics {
  /** A request was answered with `status`. */
  request(status: number): void;
  /** A request failed the signature check for `reason`. */
  verificationFailure(reason: string): void;
  /** An event of CloudEvents type `type` was handed to the sink (stdout written, forwarded, or spooled). */
  accepted(type: string): void;
  /** A redelivery of an event of type `type` was recognised and not handed on again. */
  duplicate(type: string): void;
  /** A delivery of a type the relay does not know was taken for the generic type `type`. */
  unknown(type: string): void;
  /** An event of type `type` was answered 200 and not handed on: `--events` does not keep it. */
  filtered(type: string): void;
  /** The downstream acknowledged an event, `seconds` after the relay accepted it. */
  forwarded(seconds: number): void;
  /** A forward attempt will be retried. */
  retry(): void;
  // NATS JetStream transport.
  /** A publish was acknowledged, `seconds` after it was sent; `duplicate`: the stream already had it. */
  natsPublished(seconds: number, duplicate: boolean): void;
  /** A publish was not acknowledged (it will be retried, or was refused). */
  natsRetry(): void;
  /** The connection to NATS was re-established. */
  natsReconnect(): void;
  /** Sets where the spool gauges read from. */
  spool(read: () => { depth: number; bytes: number }): void;
  /** Sets where the dead-letter file's gauge and counters read from (the process that writes it). */
  deadLetterFile(read: () => DeadLetterStats): void;
  /** The text for `GET /metrics`. */
  render(): string;
}

/**
 * Makes an empty set of metrics.
 *
 * @param eventTypes The CloudEvents types whose event counters are shown from the start, at 0 (so a
 *   rate over them is defined before the first event); others appear when first counted.
 * @returns The metrics.
 * @example
 * ```ts
 * const metrics = createMetrics();
 * metrics.request(200);
 * metrics.render(); // "# HELP telnyx_relay_requests_total …"
 * ```
 */
export function createMetrics(eventTypes: readonly string[] = EVENT_TYPES.map((entry) => entry.type)): Metrics {
  // One closure of ~110 lines on purpose: most of it is render(), the one place that writes every
  // family out; the counters it reads are its own.
  const requests = new Map<number, number>();
  const failures = new Map<string, number>();
  const accepted = new Map<string, number>(eventTypes.map((type) => [type, 0]));
  const duplicates = new Map<string, number>(eventTypes.map((type) => [type, 0]));
  const unknown = new Map<string, number>();
  const filtered = new Map<string, number>();
  let forwarded = 0;
  let retries = 0;
  const buckets = new Array<number>(LATENCY_BUCKETS.length).fill(0);
  let latencySum = 0;
  let latencyCount = 0;
  const nats = { published: 0, duplicates: 0, retries: 0, reconnects: 0, ackBuckets: new Array<number>(LATENCY_BUCKETS.length).fill(0), ackSum: 0 };
  let natsUsed = false;
  let readSpool: (() => { depth: number; bytes: number }) | undefined;
  let readDeadLetterFile: (() => DeadLetterStats) | undefined;

  const bump = <K>(map: Map<K, number>, key: K): void => {
    map.set(key, (map.get(key) ?? 0) + 1);
  };
  // The type labels in use: the registry's, and at most MAX_EXTRA_TYPE_LABELS more (one set for
  // every family, so a type has its label in all of them or in none).
  const typeLabels = new Set(eventTypes);
  const extraLabelsEnd = typeLabels.size + MAX_EXTRA_TYPE_LABELS;
  const typeLabel = (type: string): string => {
    if (typeLabels.has(type)) return type;
    if (typeLabels.size >= extraLabelsEnd) return OTHER_TYPES;
    typeLabels.add(type);
    return type;
  };

  return {
    request: (status) => bump(requests, status),
    verificationFailure: (reason) => bump(failures, reason),
    accepted: (type) => bump(accepted, typeLabel(type)),
    duplicate: (type) => bump(duplicates, typeLabel(type)),
    unknown: (type) => bump(unknown, typeLabel(type)),
    filtered: (type) => bump(filtered, typeLabel(type)),
    forwarded(latency) {
      // A clock stepped back (or a recovered event stamped ahead) must not count as negative time.
      const seconds = Math.max(0, latency);
      forwarded++;
      latencySum += seconds;
      latencyCount++;
      // Cumulative buckets: a sample counts in every bucket whose bound it does not exceed.
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= (LATENCY_BUCKETS[i] as number)) buckets[i] = (buckets[i] as number) + 1;
    },
    retry: () => void retries++,
    natsPublished(latency, duplicate) {
      natsUsed = true;
      const seconds = Math.max(0, latency);
      nats.published++;
      if (duplicate) nats.duplicates++;
      nats.ackSum += seconds;
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) if (seconds <= (LATENCY_BUCKETS[i] as number)) nats.ackBuckets[i] = (nats.ackBuckets[i] as number) + 1;
    },
    natsRetry() {
      natsUsed = true;
      nats.retries++;
    },
    natsReconnect() {
      natsUsed = true;
      nats.reconnects++;
    },
    spool(read) {
      readSpool = read;
    },
    deadLetterFile(read) {
      readDeadLetterFile = read;
    },
    render() {
      const lines: string[] = [];
      const family = (name: string, type: string, help: string, samples: Array<[string, number]>) => {
        lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
        for (const [labels, value] of samples) lines.push(`${name}${labels} ${value}`);
      };
      family("telnyx_relay_requests_total", "counter", "HTTP requests answered, by status code.", [...requests].map(([status, n]) => [`{status="${status}"}`, n]));
      family(
        "telnyx_relay_verification_failures_total",
        "counter",
        "Requests that failed the Telnyx signature check, by reason.",
        [...failures].map(([reason, n]) => [`{reason="${reason}"}`, n]),
      );
      const byType = (counts: Map<string, number>): Array<[string, number]> => [...counts].map(([type, n]) => [`{type=${labelValue(type)}}`, n]);
      family("telnyx_relay_events_accepted_total", "counter", "Verified, valid events handed to the sink, by CloudEvents type.", byType(accepted));
      family("telnyx_relay_events_duplicate_total", "counter", "Redeliveries answered 200 and not handed on again, by CloudEvents type.", byType(duplicates));
      family("telnyx_relay_events_unknown_total", "counter", "Signed deliveries of a type the relay does not know, validated as generic, by CloudEvents type.", byType(unknown));
      family("telnyx_relay_events_filtered_total", "counter", "Events answered 200 and not handed on because --events does not keep their type.", byType(filtered));
      family("telnyx_relay_events_forwarded_total", "counter", "Events acknowledged by the downstream.", [["", forwarded]]);
      family("telnyx_relay_delivery_retries_total", "counter", "Forward attempts that will be retried.", [["", retries]]);
      if (readSpool) {
        const spool = readSpool();
        family("telnyx_relay_spool_depth", "gauge", "Spooled events not yet acknowledged by the downstream.", [["", spool.depth]]);
        family("telnyx_relay_spool_bytes", "gauge", "Bytes of the spool on disk.", [["", spool.bytes]]);
      }
      if (readDeadLetterFile) {
        const file = readDeadLetterFile();
        family(
          "telnyx_relay_events_dead_lettered_total",
          "counter",
          "Records written to the dead-letter file, by reason: invalid_event (a signed delivery that is not a valid event, answered 400), downstream_rejected (an event the downstream refused for good).",
          Object.entries(file.kept).map(([reason, n]) => [`{reason="${reason}"}`, n]),
        );
        family("telnyx_relay_dead_letter_bytes", "gauge", "Bytes of the dead-letter file when a dead letter was last written or refused (0 before the first since start); bounded by --dead-letter-max-bytes.", [["", file.bytes]]);
        family("telnyx_relay_dead_letters_duplicate_total", "counter", "Dead letters not written because the file holds the same one already (the same delivery, or the same refused event).", [["", file.duplicates]]);
        family("telnyx_relay_dead_letters_refused_total", "counter", "Dead letters not written because the file is at --dead-letter-max-bytes (an invalid delivery is answered 503, a refused event stays spooled).", [["", file.refused]]);
      }
      lines.push(
        "# HELP telnyx_relay_delivery_latency_seconds Time from accepting an event to the downstream's acknowledgement.",
        "# TYPE telnyx_relay_delivery_latency_seconds histogram",
      );
      LATENCY_BUCKETS.forEach((bound, i) => lines.push(`telnyx_relay_delivery_latency_seconds_bucket{le="${bound}"} ${buckets[i]}`));
      lines.push(
        `telnyx_relay_delivery_latency_seconds_bucket{le="+Inf"} ${latencyCount}`,
        `telnyx_relay_delivery_latency_seconds_sum ${latencySum}`,
        `telnyx_relay_delivery_latency_seconds_count ${latencyCount}`,
      );
      if (natsUsed) renderNats(lines, family, nats);
      return `${lines.join("\n")}\n`;
    },
  };
}

/** A label value in the exposition format: quoted, with `\\`, `"` and newlines escaped. */
function labelValue(value: string): string {
  return `"${value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`))}"`;
}

/** The NATS block of `/metrics` (only once the NATS transport has done something). */
function renderNats(
  lines: string[],
  family: (name: string, type: string, help: string, samples: Array<[string, number]>) => void,
  nats: { published: number; duplicates: number; retries: number; reconnects: number; ackBuckets: number[]; ackSum: number },
): void {
  family("telnyx_relay_nats_published_total", "counter", "Publishes acknowledged by JetStream (PubAck), duplicates included.", [["", nats.published]]);
  family("telnyx_relay_nats_duplicates_total", "counter", "PubAcks saying the stream already had the message (duplicate: true).", [["", nats.duplicates]]);
  family("telnyx_relay_nats_retries_total", "counter", "Publishes not acknowledged (no PubAck in time, no responders, refused).", [["", nats.retries]]);
  family("telnyx_relay_nats_reconnects_total", "counter", "Connections to NATS re-established.", [["", nats.reconnects]]);
  lines.push("# HELP telnyx_relay_nats_puback_seconds Time from a publish to its PubAck.", "# TYPE telnyx_relay_nats_puback_seconds histogram");
  LATENCY_BUCKETS.forEach((bound, i) => lines.push(`telnyx_relay_nats_puback_seconds_bucket{le="${bound}"} ${nats.ackBuckets[i]}`));
  lines.push(
    `telnyx_relay_nats_puback_seconds_bucket{le="+Inf"} ${nats.published}`,
    `telnyx_relay_nats_puback_seconds_sum ${nats.ackSum}`,
    `telnyx_relay_nats_puback_seconds_count ${nats.published}`,
  );
}
