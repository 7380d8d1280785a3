// Metrics of the accounts and contacts APIs, served by /metrics.
import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '../infra/metrics.ts';

export const authFailures = new Counter({
  name: 'inflow_api_auth_failures_total',
  help: 'Requests refused by authentication (401) or role (403), by status',
  labelNames: ['status'] as const,
  registers: [metricsRegistry],
});

export const rateLimited = new Counter({
  name: 'inflow_api_rate_limited_total',
  help: 'Requests answered 429 by the per-account rate limit',
  registers: [metricsRegistry],
});

export const outboxSent = new Counter({
  name: 'inflow_outbox_sent_total',
  help: 'Outbox entries produced to Kafka and marked sent, by topic',
  labelNames: ['topic'] as const,
  registers: [metricsRegistry],
});

export const outboxLag = new Histogram({
  name: 'inflow_outbox_lag_seconds',
  help: 'Time from an API write commit to its outbox entry being produced',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});
