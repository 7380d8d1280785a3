// The worker's metrics (seed 003 names), registered on the process registry served at /metrics.
import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '../infra/metrics.ts';

export const eventsProcessed = new Counter({
  name: 'consumer_events_processed_total',
  help: 'Events processed by the worker pool, by outcome',
  labelNames: ['outcome'] as const,
  registers: [metricsRegistry],
});

export const dlqEvents = new Counter({
  name: 'dlq_events_total',
  help: 'Messages sent to the dead-letter topic by the worker, by reason',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});

export const consumerLag = new Gauge({
  name: 'consumer_lag',
  help: 'Messages behind the high watermark, per partition, as of the last batch',
  labelNames: ['topic', 'partition'] as const,
  registers: [metricsRegistry],
});

export const batchDuration = new Histogram({
  name: 'consumer_batch_duration_seconds',
  help: 'Time from fetch to offset commit of one batch',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

export const batchRetries = new Counter({
  name: 'consumer_batch_retries_total',
  help: 'Batch attempts retried because a dependency was unavailable',
  labelNames: ['dependency'] as const,
  registers: [metricsRegistry],
});
