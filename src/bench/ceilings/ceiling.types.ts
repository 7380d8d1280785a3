// What a ceiling measurement reports. Rates are events (or rows, or records) per second.
import type { LatencySummary } from '../stats.ts';

export interface CeilingResult {
  name: 'http' | 'broker' | 'postgres' | 'clickhouse';
  what: string;
  eventsPerS: number;
  requestsPerS?: number;
  latencyMs?: Partial<LatencySummary>;
  error?: string;
  raw?: string;
}
