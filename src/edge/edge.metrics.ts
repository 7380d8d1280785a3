// Edge metrics (names from seed 003), declared once per process and registered with the shared registry.
import { Counter, Histogram } from 'prom-client';
import { metricsRegistry } from '../infra/metrics.ts';

export const eventsTotal = new Counter({
  name: 'ingest_api_events_total',
  help: 'Events received by the edge, by source (api, lead_capture, webhook:<name>, ingest) and status (accepted, duplicate, invalid, failed, unauthorized)',
  labelNames: ['source', 'status'] as const,
  registers: [metricsRegistry],
});

export const latencySeconds = new Histogram({
  name: 'ingest_api_latency_seconds',
  help: 'Edge HTTP response time, by route and status code',
  labelNames: ['route', 'code'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
  registers: [metricsRegistry],
});

export const producerErrors = new Counter({
  name: 'edge_producer_errors_total',
  help: 'Produce batches that failed (timeout or broker error); the producer is recreated after each',
  labelNames: ['kind'] as const,
  registers: [metricsRegistry],
});

export const producerBatchSize = new Histogram({
  name: 'edge_producer_batch_messages',
  help: 'Messages per produce batch (requests share batches)',
  buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500],
  registers: [metricsRegistry],
});

export const dlqTotal = new Counter({
  name: 'edge_dlq_messages_total',
  help: 'Rejected inputs written to crm.events.dlq, by reason',
  labelNames: ['reason'] as const,
  registers: [metricsRegistry],
});

export const rateLimited = new Counter({
  name: 'edge_rate_limited_total',
  help: 'Requests refused with 429',
  registers: [metricsRegistry],
});

// The labelled children are kept: prom-client hashes the label object on every inc/observe otherwise, per request.
function childCache<C>(make: (a: string, b: string) => C): (a: string, b: string) => C {
  const children = new Map<string, C>();
  return (a, b) => {
    const key = `${a}\u001f${b}`;
    let child = children.get(key);
    if (!child) children.set(key, (child = make(a, b)));
    return child;
  };
}

const latencyChild = childCache((route, code) => latencySeconds.labels(route, code));
export function observeLatency(route: string, code: number, seconds: number): void {
  latencyChild(route, String(code)).observe(seconds);
}

const eventsChild = childCache((source, status) => eventsTotal.labels(source, status));
export function countEvents(source: string, status: 'accepted' | 'duplicate' | 'invalid' | 'failed' | 'unauthorized', n = 1): void {
  eventsChild(source, status).inc(n);
}
