// patches/kafkajs+2.2.4.patch encodes a produce batch's records into one buffer. The broker checks the batch CRC
// and parses every record, so the bytes must be exactly what stock kafkajs writes: compared here record by record
// and batch by batch against kafkajs's own encoders, for every shape a message can take.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
type Message = { key?: Buffer | string | null; value: Buffer | string | null; headers?: Record<string, Buffer | string | (Buffer | string)[]>; timestamp?: string | number };
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (m: Message & { offsetDelta: number; timestampDelta: number }) => { buffer: Buffer };
const encodeRecordsFast = require('kafkajs/src/protocol/recordBatch/record/v0/fast') as (
  messages: Message[],
  firstTimestamp: number,
  dateNow: number,
) => { count: number; buffer: Buffer } | null;
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (a: Record<string, unknown>) => Promise<{ buffer: Buffer }>;
};

const now = 1_764_000_000_000;

/** What stock kafkajs writes for these messages: one Record encoder each, concatenated. */
function stock(messages: Message[], firstTimestamp: number): Buffer {
  return Buffer.concat(messages.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: Number(m.timestamp || now) - firstTimestamp }).buffer));
}

const shapes: Message[] = [
  { key: 't1:c-1', value: Buffer.from([0, 0, 0, 0, 7, 2, 4, 6]) },
  { key: null, value: 'plain string value' },
  { key: Buffer.from('binary-key'), value: null },
  { value: Buffer.alloc(0) },
  { key: 'ünïcødé:☃', value: 'é'.repeat(300), headers: { traceparent: '00-abc-def-01', request_id: Buffer.from('r-1') } },
  { key: 'k', value: Buffer.alloc(70_000, 1), headers: { multi: ['a', Buffer.from('b'), 'ccc'] } },
  { key: '', value: '', headers: { 'ключ': 'значение ☃', '': '' } },
  { key: 'ts', value: 'v', timestamp: String(now + 1234) },
  { key: 'ts2', value: 'v', timestamp: now - 5 },
];

describe('the patched kafkajs record encoding', () => {
  it('writes every record shape byte for byte as stock kafkajs does', () => {
    for (const m of shapes) expect(encodeRecordsFast([m], now, now)!.buffer.equals(stock([m], now))).toBe(true);
  });

  it('writes a whole batch, offset deltas past one varint byte included, as stock kafkajs does', () => {
    const many = Array.from({ length: 1_000 }, (_, i) => ({ ...shapes[i % shapes.length]!, timestamp: i % 3 ? now + i * 1000 : undefined }));
    const fast = encodeRecordsFast(many, now, now)!;
    expect(fast.count).toBe(1_000);
    expect(fast.buffer.equals(stock(many, now))).toBe(true);
  });

  it('gives the same RecordBatch (CRC included) as the stock record path', async () => {
    const common = { firstTimestamp: now, maxTimestamp: now + 999_000, firstSequence: 42, lastOffsetDelta: shapes.length - 1 };
    const records = shapes.map((m, i) => Record({ ...m, offsetDelta: i, timestampDelta: Number(m.timestamp || now) - now }));
    const viaStock = await RecordBatch({ ...common, records });
    const viaFast = await RecordBatch({ ...common, encodedRecords: encodeRecordsFast(shapes, now, now) });
    expect(viaFast.buffer.equals(viaStock.buffer)).toBe(true);
  });

  it('hands a timestamp delta beyond 30 bits back to the stock path', () => {
    expect(encodeRecordsFast([{ key: 'k', value: 'v', timestamp: now + 2 ** 31 }], now, now)).toBeNull();
  });
});

// The patch also computes the batch CRC-32C eight bytes at a time. Checked against the textbook one-byte-at-a-time
// algorithm (the polynomial, not kafkajs's table, so a wrong table would show) and the standard check value.
describe('crc32C (slicing-by-8)', () => {
  const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/crc32C') as (b: Buffer) => number;
  const table = Array.from({ length: 256 }, (_, n) => {
    let x = n;
    for (let k = 0; k < 8; k++) x = x & 1 ? (x >>> 1) ^ 0x82f63b78 : x >>> 1;
    return x;
  });
  const reference = (b: Buffer) => {
    let crc = -1;
    for (const byte of b) crc = table[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
    return (crc ^ -1) >>> 0;
  };

  it('gives the CRC-32C check value for "123456789"', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  // What RecordBatch calls: the native CRC (@node-rs/crc32) when it loads, this JS one otherwise; both the same numbers.
  it('is what the native CRC kafkajs uses gives, for the check value and large offset buffers', () => {
    const used = require('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;
    const native = (require('@node-rs/crc32') as { crc32c: (b: Buffer) => number }).crc32c;
    const bytes = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 2_654_435_761) >>> 24));
    expect(used(Buffer.from('123456789'))).toBe(0xe3069283);
    for (const b of [bytes, bytes.subarray(3, 70_003), Buffer.alloc(0)]) {
      expect(used(b)).toBe(crc32C(b));
      expect(native(b) >>> 0).toBe(crc32C(b));
    }
  });

  it('matches the one-byte algorithm for every length up to 70 and for large and offset buffers', () => {
    const bytes = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 2_654_435_761) >>> 24));
    for (let n = 0; n <= 70; n++) expect(crc32C(bytes.subarray(0, n))).toBe(reference(bytes.subarray(0, n)));
    expect(crc32C(bytes)).toBe(reference(bytes));
    expect(crc32C(bytes.subarray(3, 100_003))).toBe(reference(bytes.subarray(3, 100_003)));
    expect(crc32C(Buffer.alloc(4096, 0xff))).toBe(reference(Buffer.alloc(4096, 0xff)));
  });
});

describe('groupMessagesPerPartition (grouped in place)', () => {
  const group = require('kafkajs/src/producer/groupMessagesPerPartition') as (a: {
    topic: string; partitionMetadata: unknown[]; messages: { key: string }[]; partitioner: (a: { message: { key: string } }) => number;
  }) => Record<string, { key: string }[]>;

  it('keeps every message, in order within its partition, and nothing when there is no partition metadata', () => {
    const messages = Array.from({ length: 1000 }, (_, i) => ({ key: `k${i}` }));
    const partitioner = ({ message }: { message: { key: string } }) => Number(message.key.slice(1)) % 7;
    const grouped = group({ topic: 't', partitionMetadata: [{}], messages, partitioner });
    expect(Object.keys(grouped).sort()).toEqual(['0', '1', '2', '3', '4', '5', '6']);
    for (let p = 0; p < 7; p++) expect(grouped[p]).toEqual(messages.filter((_, i) => i % 7 === p));
    expect(group({ topic: 't', partitionMetadata: [], messages, partitioner })).toEqual({});
  });
});
