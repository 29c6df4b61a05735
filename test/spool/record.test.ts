import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { test } from "node:test";
import { crc32 } from "node:zlib";
import { decodePayload, encodeRecord, HEADER_BYTES, MAX_PAYLOAD_BYTES, parseSegment, type JournalRecord } from "../../src/spool/record.ts";

const records: JournalRecord[] = [
  { t: "e", id: "evt-1", at: 1_700_000_000_000, json: '{"a":"line\\nbreak","b":"é\u2028"}' },
  { t: "a", id: "evt-1" },
  { t: "s", id: "evt-2", at: 5 },
];

test("encodeRecord() frames a payload as big-endian length, CRC-32 of the payload, then UTF-8 JSON", () => {
  const bytes = encodeRecord({ t: "a", id: "x" });
  const payload = Buffer.from('{"t":"a","id":"x"}', "utf8");
  assert.equal(bytes.readUInt32BE(0), payload.length);
  assert.equal(bytes.readUInt32BE(4), crc32(payload));
  assert.deepEqual(bytes.subarray(HEADER_BYTES), payload);
});

test("an event record's json is kept as a string, byte for byte, including a lone surrogate", () => {
  const json = '{"x":"\ud800 and \u0000"}';
  const [parsed] = parseSegment(encodeRecord({ t: "e", id: "e", at: 1, json })).records;
  assert.deepEqual(parsed?.record, { t: "e", id: "e", at: 1, json });
});

test("parseSegment() reads back every record written, in order, with offsets and sizes", () => {
  const frames = records.map((record) => encodeRecord(record));
  const parsed = parseSegment(Buffer.concat(frames));
  assert.equal(parsed.damage, undefined);
  assert.deepEqual(
    parsed.records.map(({ record }) => record),
    records,
  );
  assert.deepEqual(
    parsed.records.map(({ offset, size }) => [offset, size]),
    [
      [0, frames[0]!.length],
      [frames[0]!.length, frames[1]!.length],
      [frames[0]!.length + frames[1]!.length, frames[2]!.length],
    ],
  );
  assert.equal(parsed.validBytes, frames.reduce((sum, frame) => sum + frame.length, 0));
});

test("parseSegment() stops at a record cut short and finds nothing after it (a torn tail)", () => {
  const whole = Buffer.concat(records.map((record) => encodeRecord(record)));
  const firstTwo = encodeRecord(records[0]!).length + encodeRecord(records[1]!).length;
  for (const cut of [firstTwo + 3, firstTwo + HEADER_BYTES, whole.length - 1]) {
    const parsed = parseSegment(whole.subarray(0, cut));
    assert.equal(parsed.records.length, 2, `cut at ${cut}`);
    assert.equal(parsed.validBytes, firstTwo);
    assert.equal(parsed.damage?.offset, firstTwo);
    assert.deepEqual(parsed.salvaged, []);
  }
});

test("parseSegment() treats garbage after the last record as damage with nothing to salvage", () => {
  const good = encodeRecord(records[0]!);
  const parsed = parseSegment(Buffer.concat([good, Buffer.from("\u0000\u0000garbage {\"t\":\"oops", "latin1")]));
  assert.equal(parsed.records.length, 1);
  assert.equal(parsed.validBytes, good.length);
  assert.ok(parsed.damage);
  assert.deepEqual(parsed.salvaged, []);
});

test("parseSegment() refuses a record whose length field is over 16 MiB, even with the bytes present", () => {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(MAX_PAYLOAD_BYTES + 1, 0);
  const parsed = parseSegment(header);
  assert.match(parsed.damage?.reason ?? "", /larger than/);
  assert.equal(parsed.validBytes, 0);
});

test("parseSegment() reports a flipped byte in the middle and salvages the intact records after it", () => {
  const frames = records.map((record) => encodeRecord(record));
  const whole = Buffer.concat(frames);
  whole[frames[0]!.length + HEADER_BYTES + 3]! ^= 0x20; // inside the ack record's payload
  const parsed = parseSegment(whole);
  assert.deepEqual(
    parsed.records.map(({ record }) => record),
    [records[0]],
  );
  assert.equal(parsed.damage?.reason, "CRC-32 mismatch");
  assert.deepEqual(
    parsed.salvaged.map(({ record }) => record),
    [records[2]],
  );
});

test("decodePayload() refuses JSON that is not exactly a journal record", () => {
  const decode = (text: string) => decodePayload(Buffer.from(text, "utf8"));
  assert.equal(decode("{}"), undefined);
  assert.equal(decode('{"t":"e","id":"x","at":1}'), undefined);
  assert.equal(decode('{"t":"e","id":"x","at":"1","json":"{}"}'), undefined);
  assert.equal(decode('{"t":"s","id":"","at":1}'), undefined);
  assert.equal(decode('{"t":"q","id":"x"}'), undefined);
  assert.equal(decode("[1]"), undefined);
  assert.equal(decode("not json"), undefined);
  assert.equal(decodePayload(Uint8Array.of(0x7b, 0xff, 0x7d)), undefined);
  assert.deepEqual(decode('{"t":"s","id":"x","at":1}'), { t: "s", id: "x", at: 1 });
});

test("encodeRecord() refuses a payload larger than 16 MiB instead of writing what could not be read back", () => {
  assert.throws(() => encodeRecord({ t: "e", id: "big", at: 1, json: "x".repeat(MAX_PAYLOAD_BYTES) }), RangeError);
});

test("encodeRecord() refuses what could not be read back: an empty id, a non-finite time, a json that is not a string", () => {
  assert.throws(() => encodeRecord({ t: "a", id: "" }), TypeError);
  assert.throws(() => encodeRecord({ t: "e", id: "x", at: Number.NaN, json: "{}" }), TypeError);
  assert.throws(() => encodeRecord({ t: "s", id: "x", at: Number.POSITIVE_INFINITY }), TypeError);
  assert.throws(() => encodeRecord({ t: "e", id: "x", at: 1, json: undefined as unknown as string }), TypeError);
});
