// The benchmark's pure parts: its command line, and the layout of the redelivery pools its
// correctness checks rely on (every redelivery is of an event sent well before it).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { attemptTimestamp, poolEntry } from "../../scripts/bench/make-pool.ts";
import { parseBenchOptions, redeliverPercent, SERVER_NAMES, UsageError } from "../../scripts/bench/options.ts";

describe("parseBenchOptions", () => {
  test("every flag of the benchmark is taken, with its value", () => {
    const options = parseBenchOptions([
      "--duration", "5", "--warmup", "1", "--rounds", "4", "--connections", "20", "--json",
      "--only", "baseline,relay-stdout-redeliver50", "--relay-arg=--dedup-window=0", "--relay-arg=--workers=2",
      "--server-cpus", "0,1", "--load-cpus", "0-1", "--relay-bin", "/x", "--from-source", "--keep",
    ]);
    assert.equal(options.mode, "bench");
    assert.equal(options.duration, 5);
    assert.equal(options.warmup, 1);
    assert.equal(options.rounds, 4);
    assert.equal(options.connections, 20);
    assert.equal(options.json, true);
    assert.deepEqual(options.servers, ["baseline", "relay-stdout-redeliver50"]);
    assert.deepEqual(options.relayArgs, ["--dedup-window=0", "--workers=2"]);
    assert.equal(options.serverCpus, "0,1");
    assert.equal(options.loadCpus, "0-1");
    assert.equal(options.relayBin, "/x");
    assert.equal(options.fromSource, true);
    assert.equal(options.keep, true);
  });

  test("each mode has its defaults: smoke is short and runs every server, the soak and the profile the stdout relay", () => {
    const smoke = parseBenchOptions(["--smoke"]);
    assert.deepEqual([smoke.mode, smoke.duration, smoke.warmup, smoke.rounds], ["smoke", 2, 1, 1]);
    assert.deepEqual(smoke.servers, [...SERVER_NAMES]);
    const soak = parseBenchOptions(["--soak", "--soak-duration", "2m", "--sample-interval", "3"]);
    assert.deepEqual([soak.mode, soak.soakDuration, soak.sampleInterval, soak.servers], ["soak", 120, 3, ["relay-stdout"]]);
    const profile = parseBenchOptions(["--profile", "--only", "relay-stdout-redeliver100", "--profile-dir", "/tmp/p"]);
    assert.deepEqual([profile.mode, profile.servers, profile.profileDir], ["profile", ["relay-stdout-redeliver100"], "/tmp/p"]);
    assert.deepEqual([parseBenchOptions([]).duration, parseBenchOptions([]).rounds], [10, 3]);
  });

  test("a bad command line is a UsageError that says what is wrong", () => {
    assert.throws(() => parseBenchOptions(["--only", "relay-stdin"]), (error: unknown) => error instanceof UsageError && /unknown server "relay-stdin"/.test(error.message));
    assert.throws(() => parseBenchOptions(["--smoke", "--soak"]), /separate modes/);
    assert.throws(() => parseBenchOptions(["--soak", "--only", "baseline"]), /relay-stdout only/);
    assert.throws(() => parseBenchOptions(["--profile", "--only", "peer"]), /one relay row/);
    assert.throws(() => parseBenchOptions(["--duration", "0"]), /--duration: "0"/);
    assert.throws(() => parseBenchOptions(["--connections", "many"]), /--connections/);
    assert.throws(() => parseBenchOptions(["--rounds"]), UsageError);
    assert.throws(() => parseBenchOptions(["--fast"]), UsageError);
  });

  test("only the redelivery rows redeliver", () => {
    assert.deepEqual(SERVER_NAMES.map(redeliverPercent), SERVER_NAMES.map((name) => (name.endsWith("redeliver50") ? 50 : name.endsWith("redeliver100") ? 100 : 0)));
  });
});

describe("poolEntry: the layout of a pool", () => {
  const PRIME = 100;

  test("without redeliveries, entry n is the first delivery of event n", () => {
    for (const n of [0, 1, 99, 100, 12_345]) assert.deepEqual(poolEntry(n, 0, PRIME), { event: n, attempt: 0 });
  });

  test("at 100%, the prime entries are new events and every later entry redelivers one of them, each in turn", () => {
    for (let n = 0; n < PRIME; n++) assert.deepEqual(poolEntry(n, 100, PRIME), { event: n, attempt: 0 });
    const seen = new Map<number, number>();
    for (let n = PRIME; n < PRIME * 4; n++) {
      const { event, attempt } = poolEntry(n, 100, PRIME);
      assert.ok(event < PRIME && attempt >= 1, `entry ${n}`);
      assert.equal(attempt, (seen.get(event) ?? 0) + 1, "each redelivery of an event is its next attempt");
      seen.set(event, attempt);
    }
    assert.equal(seen.size, PRIME);
  });

  test("at 50%, after the prime entries every other entry is new, and each redelivery comes more than prime entries after its event", () => {
    const firstSent = new Map<number, number>();
    let redeliveries = 0;
    const total = PRIME + 4_000;
    for (let n = 0; n < total; n++) {
      const { event, attempt } = poolEntry(n, 50, PRIME);
      if (attempt === 0) {
        assert.equal(firstSent.has(event), false, `event ${event} is new once`);
        firstSent.set(event, n);
      } else {
        redeliveries++;
        assert.equal(attempt, 1);
        const at = firstSent.get(event);
        assert.ok(at !== undefined && n - at > PRIME, `entry ${n} redelivers event ${event}, first sent at ${at}`);
      }
    }
    assert.equal(redeliveries, (total - PRIME) / 2);
  });

  test("a redelivery is signed with a later timestamp than the first delivery, within the relay's 300 s tolerance", () => {
    const signedAt = 1_700_000_000;
    assert.equal(attemptTimestamp(signedAt, 0), signedAt);
    const stamps = new Set<number>();
    for (let attempt = 1; attempt <= 1_000; attempt++) {
      const stamp = attemptTimestamp(signedAt, attempt);
      assert.ok(stamp > signedAt && stamp - signedAt <= 300 - 30, `attempt ${attempt}: +${stamp - signedAt} s`);
      stamps.add(stamp);
    }
    assert.ok(stamps.size >= 200, "attempts get many different timestamps, so their signed bytes differ");
  });
});
