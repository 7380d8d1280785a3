import { describe, expect, it } from 'vitest';
import type { BulkActionRow } from './bulk.repository.ts';
import { computeStats } from './stats.ts';

const action = (over: Partial<BulkActionRow> = {}): BulkActionRow => ({
  id: 'a1', tenant_id: 't', idempotency_key: null, entity: 'contacts', action: 'update', target: {}, payload: {}, status: 'running',
  scheduled_at: null, rate_limit_per_sec: 500, reverts_id: null, chunk_size: 125, total: '10000', chunks_planned: 80, chunks_total: 80,
  error: null, created_at: new Date('2026-01-01T00:00:00Z'), started_at: new Date('2026-01-01T00:00:00Z'), finished_at: null, cancelled_at: null,
  ...over,
});
const totals = { chunks: 20, succeeded: 2400, failed: 50, skipped: 50, first_applied_at: null, last_applied_at: null, max_duration_ms: 40 };

describe('computeStats', () => {
  it('derives percent, rate and ETA from the ledger totals', () => {
    const s = computeStats(action(), totals, { now: new Date('2026-01-01T00:00:05Z'), rateLimitPerSec: 500, budgetLeft: 0 });
    expect(s).toMatchObject({ processed: 2500, percent: 25, rate_per_sec: 500, eta_seconds: 15, rate_limit_per_sec: 500, rate_limit_budget_left: 0 });
  });
  it('has no ETA while planning and none left once finished', () => {
    expect(computeStats(action({ chunks_total: null }), totals, { now: new Date('2026-01-01T00:00:05Z'), rateLimitPerSec: Infinity, budgetLeft: null })).toMatchObject({ eta_seconds: null, rate_limit_per_sec: null });
    const done = computeStats(action({ status: 'completed', finished_at: new Date('2026-01-01T00:00:10Z') }), { ...totals, succeeded: 9900 }, { now: new Date('2026-01-01T01:00:00Z'), rateLimitPerSec: 500, budgetLeft: 500 });
    expect(done).toMatchObject({ processed: 10_000, percent: 100, rate_per_sec: 1000, eta_seconds: 0 });
  });
});
