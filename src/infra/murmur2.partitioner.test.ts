import { createRequire } from 'node:module';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { murmur2, Murmur2Partitioner } from './murmur2.partitioner.ts';

const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer | string) => number;

const keys = [
  '',
  'a',
  'ab',
  'abc',
  'abcd',
  'acme:lead-1',
  'tenant-ü:entité-42',
  '租户:实体-7',
  'emoji🙂:x',
  'x'.repeat(500),
  'y'.repeat(2_000),
  ...Array.from({ length: 2_000 }, (_, i) => `bench-${i.toString(36)}:lead-${(i * 7919).toString(16)}`),
];

describe('murmur2', () => {
  it('equals kafkajs (and so the Java client) for every key', () => {
    for (const key of keys) {
      expect(murmur2(key), key).toBe(kafkajsMurmur2(key));
      expect(murmur2(Buffer.from(key)), key).toBe(kafkajsMurmur2(Buffer.from(key)));
    }
  });

  it('picks the partition kafkajs DefaultPartitioner picks', () => {
    const partitionMetadata = Array.from({ length: 6 }, (_, i) => ({ partitionId: i, leader: 1, replicas: [1], isr: [1], partitionErrorCode: 0, offlineReplicas: [] }));
    const ours = Murmur2Partitioner();
    const theirs = Partitioners.DefaultPartitioner();
    for (const key of keys) {
      const args = { topic: 't', partitionMetadata, message: { key, value: 'v' } };
      expect(ours(args), key).toBe(theirs(args));
    }
    expect(ours({ topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: 4 } })).toBe(4);
    const unkeyed = new Set(Array.from({ length: 12 }, () => ours({ topic: 't', partitionMetadata, message: { key: null, value: 'v' } })));
    expect(unkeyed.size).toBe(6); // round robin over the partitions
  });
});
