// Stats of one bulk action from its row and the chunk ledger totals (exact), as a pure function.
import type { BulkActionRow, LedgerTotals } from './bulk.repository.ts';

export function computeStats(a: BulkActionRow, t: LedgerTotals, ctx: { now: Date; rateLimitPerSec: number; budgetLeft: number | null }) {
  const processed = t.succeeded + t.failed + t.skipped;
  const planningDone = a.chunks_total !== null;
  const total = a.total === null ? null : Number(a.total);
  const start = a.started_at ?? t.first_applied_at;
  const end = a.finished_at && a.status !== 'cancelled' ? a.finished_at : (t.last_applied_at && a.finished_at ? t.last_applied_at : ctx.now);
  const seconds = start ? Math.max(0.001, (end.getTime() - start.getTime()) / 1000) : 0;
  const rate = seconds > 0 ? processed / seconds : 0;
  const remaining = total === null ? null : Math.max(0, total - processed);
  const finished = ['completed', 'completed_with_errors', 'failed', 'cancelled'].includes(a.status);
  return {
    id: a.id,
    status: a.status,
    total,
    planning_done: planningDone,
    processed,
    succeeded: t.succeeded,
    failed: t.failed,
    skipped: t.skipped,
    percent: total ? Math.min(100, Math.round((processed / total) * 10_000) / 100) : finished ? 100 : 0,
    rate_per_sec: Math.round(rate * 10) / 10,
    eta_seconds: finished ? 0 : remaining !== null && rate > 0 && planningDone ? Math.ceil(remaining / rate) : null,
    rate_limit_per_sec: Number.isFinite(ctx.rateLimitPerSec) ? ctx.rateLimitPerSec : null,
    rate_limit_budget_left: ctx.budgetLeft,
    chunks: { planned: a.chunks_planned, total: a.chunks_total, done: t.chunks, max_tx_ms: t.max_duration_ms },
    created_at: a.created_at,
    started_at: a.started_at,
    finished_at: a.finished_at,
    source: 'postgres chunk ledger',
  };
}
