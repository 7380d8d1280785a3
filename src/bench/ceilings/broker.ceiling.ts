// Broker ceiling: Kafka's own ProducerPerformance from the broker's jars, acks=all, into a throwaway topic.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Kafka } from 'kafkajs';
import type { CeilingResult } from './ceiling.types.ts';

const run = promisify(execFile);

/** "500000 records sent, 81234.5 records/sec (23.24 MB/sec), 310.2 ms avg latency, 912.0 ms max latency, 290 ms 50th, 700 ms 95th, 850 ms 99th, ..." */
export function parseProducerPerf(stdout: string): { recordsPerS: number; mbPerS: number; avgMs: number; maxMs: number; p50?: number; p99?: number } | undefined {
  const line = stdout.split('\n').reverse().find((l) => /records sent, .* records\/sec/.test(l));
  if (!line) return undefined;
  const num = (re: RegExp) => {
    const m = re.exec(line);
    return m ? Number(m[1]) : undefined;
  };
  return {
    recordsPerS: num(/([\d.]+) records\/sec/)!,
    mbPerS: num(/\(([\d.]+) MB\/sec\)/)!,
    avgMs: num(/([\d.]+) ms avg latency/)!,
    maxMs: num(/([\d.]+) ms max latency/)!,
    p50: num(/([\d.]+) ms 50th/),
    p99: num(/([\d.]+) ms 99th/),
  };
}

export async function measureBrokerCeiling(
  deps: { kafka: Kafka },
  options: { dataDir: string; brokers: string; records: number; recordSize: number; partitions: number },
): Promise<CeilingResult> {
  const topic = `inflow.bench.ceiling.${Date.now()}`;
  const admin = deps.kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: options.partitions, replicationFactor: 1 }], waitForLeaders: true });
    const { stdout } = await run(
      'java',
      ['-Xmx512m', '-cp', `${path.join(options.dataDir, 'vendor', 'kafka')}/*`, 'org.apache.kafka.tools.ProducerPerformance',
        '--topic', topic, '--num-records', String(options.records), '--record-size', String(options.recordSize), '--throughput', '-1',
        '--producer-props', `bootstrap.servers=${options.brokers}`, 'acks=all', 'linger.ms=5'],
      { timeout: 300_000, maxBuffer: 16 * 1024 * 1024 },
    );
    const p = parseProducerPerf(stdout);
    if (!p) return { name: 'broker', what: 'ProducerPerformance', eventsPerS: 0, error: 'no summary line', raw: stdout.slice(-500) };
    return {
      name: 'broker',
      what: `Kafka ProducerPerformance, ${options.records} records of ${options.recordSize} B, acks=all, ${options.partitions} partitions`,
      eventsPerS: p.recordsPerS,
      latencyMs: { mean: p.avgMs, max: p.maxMs, p50: p.p50, p99: p.p99 },
      raw: stdout.trim().split('\n').pop(),
    };
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}
