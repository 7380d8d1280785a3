// Prometheus metrics of the outcomes sink, registered on the process registry (/metrics).
import { Counter, Gauge, Histogram } from 'prom-client';
import { metricsRegistry } from '../infra/metrics.ts';

export const sinkMetrics = {
  rowsInserted: new Counter({ name: 'inflow_sink_rows_inserted_total', help: 'outcome rows inserted into ClickHouse', registers: [metricsRegistry] }),
  rowsSkipped: new Counter({
    name: 'inflow_sink_rows_skipped_total',
    help: 'outcome records not inserted: held (already in ClickHouse after a restart), duplicate (same outcome_id), undecodable',
    labelNames: ['reason'] as const,
    registers: [metricsRegistry],
  }),
  inserts: new Counter({ name: 'inflow_sink_inserts_total', help: 'INSERT statements that succeeded', registers: [metricsRegistry] }),
  insertFailures: new Counter({ name: 'inflow_sink_insert_failures_total', help: 'failed ClickHouse calls (retried)', registers: [metricsRegistry] }),
  insertDuration: new Histogram({
    name: 'inflow_sink_insert_duration_seconds',
    help: 'duration of one successful batch INSERT',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [metricsRegistry],
  }),
  batchRows: new Histogram({ name: 'inflow_sink_batch_rows', help: 'rows per INSERT', buckets: [1, 10, 100, 1000, 5000, 10_000, 50_000], registers: [metricsRegistry] }),
  lagMessages: new Gauge({
    name: 'inflow_sink_lag_messages',
    help: 'crm.outcomes messages not yet read by the sink, per partition (high watermark - last read)',
    labelNames: ['partition'] as const,
    registers: [metricsRegistry],
  }),
  lagSeconds: new Gauge({ name: 'inflow_sink_lag_seconds', help: 'now - processed_at of the newest outcome inserted', registers: [metricsRegistry] }),
  paused: new Gauge({ name: 'inflow_sink_paused', help: '1 while ClickHouse is unreachable and the sink waits', registers: [metricsRegistry] }),
};
