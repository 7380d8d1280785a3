// /v1/analytics: throughput, outcome breakdowns, latency quantiles and DLQ reasons of the caller's tenant.
// The tenant comes from the credential (scope "read"); every parameter is validated by zod and bound as a
// ClickHouse query parameter.
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { Access } from '../accounts/access.ts';
import { createApiRouter, parseWith } from '../accounts/api-errors.ts';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import type { Logger } from '../infra/logger.ts';
import { createAnalyticsQueries, GROUP_BY, type Window } from './analytics.queries.ts';

const STEPS: Record<string, number> = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '6h': 21_600, '1d': 86_400 };
const MAX_POINTS = 2_000; // a chart never needs more; bounds the work one request can ask for
const DEFAULT_SPAN_S = 86_400;

/** An instant: ISO 8601 or epoch milliseconds. */
const instant = z.union([z.iso.datetime({ offset: true }), z.iso.date(), z.string().regex(/^\d{10,13}$/, 'epoch milliseconds')]).transform((v) => {
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  return Math.floor(ms / 1000);
});

const WindowQuery = z
  .object({
    from: instant.optional(),
    to: instant.optional(),
    step: z.enum(Object.keys(STEPS) as [string, ...string[]]).optional(),
  })
  .transform((q, ctx) => {
    const to = q.to ?? Math.floor(Date.now() / 1000);
    const from = q.from ?? to - DEFAULT_SPAN_S;
    if (from >= to) ctx.addIssue({ code: 'custom', path: ['from'], message: 'from must be before to' });
    const step = q.step ? STEPS[q.step]! : undefined;
    if (step && (to - from) / step > MAX_POINTS) ctx.addIssue({ code: 'custom', path: ['step'], message: `at most ${MAX_POINTS} points: choose a larger step or a shorter window` });
    return { from, to, step, stepName: q.step };
  });

const OutcomesQuery = z.object({ group_by: z.enum(GROUP_BY).default('status') }).loose();

const iso = (s: number) => new Date(s * 1000).toISOString();

export function createAnalyticsRouter(
  deps: { clickhouse: ClickHouseClient; database: string; access: Access; logger: Logger },
  options: { maxBodyBytes: number } = { maxBodyBytes: 4096 },
): Hono {
  const app = createApiRouter(deps, options);
  const queries = createAnalyticsQueries(deps.clickhouse, deps.database);
  app.use('*', deps.access('read'));

  function window(c: Context) {
    const q = parseWith(WindowQuery, c.req.query());
    const w: Window = { tenant: c.get('principal').tenantId, from: q.from, to: q.to };
    return { w, step: q.step, stepName: q.stepName };
  }

  app.get('/throughput', async (c) => {
    const { w, step = 60, stepName = '1m' } = window(c);
    const rows = await queries.throughput(w, step);
    const buckets = new Map<number, { t: string; total: number; by_status: Record<string, number> }>();
    // Every bucket of the window, zeros included, so a chart needs no gap logic.
    for (let t = Math.floor(w.from / step) * step; t < w.to; t += step) buckets.set(t, { t: iso(t), total: 0, by_status: {} });
    for (const r of rows) {
      const b = buckets.get(Number(r.t));
      if (!b) continue;
      b.total += Number(r.n);
      b.by_status[r.status] = Number(r.n);
    }
    return c.json({ from: iso(w.from), to: iso(w.to), step: stepName, data: [...buckets.values()] });
  });

  app.get('/outcomes', async (c) => {
    const { w } = window(c);
    const { group_by } = parseWith(OutcomesQuery, c.req.query());
    const rows = await queries.outcomes(w, group_by);
    const total = rows.reduce((s, r) => s + Number(r.n), 0);
    return c.json({ from: iso(w.from), to: iso(w.to), group_by, total, data: rows.map((r) => ({ [group_by]: r.key, count: Number(r.n) })) });
  });

  app.get('/latency', async (c) => {
    const { w, step, stepName } = window(c);
    const shape = (r: { n: number; q: number[] }) => ({ count: Number(r.n), p50: r.q[0] ?? null, p90: r.q[1] ?? null, p99: r.q[2] ?? null });
    const [overall] = await queries.latency(w);
    const series = step ? (await queries.latency(w, step)).map((r) => ({ t: iso(Number(r.t)), ...shape(r) })) : undefined;
    const empty = { count: 0, p50: null, p90: null, p99: null };
    return c.json({ from: iso(w.from), to: iso(w.to), unit: 'ms', ...(overall && Number(overall.n) > 0 ? shape(overall) : empty), step: stepName, series });
  });

  app.get('/dlq', async (c) => {
    const { w, step = 3600, stepName = '1h' } = window(c);
    const rows = await queries.dlq(w, step);
    const reasons = new Map<string, number>();
    for (const r of rows) reasons.set(r.reason, (reasons.get(r.reason) ?? 0) + Number(r.n));
    return c.json({
      from: iso(w.from),
      to: iso(w.to),
      step: stepName,
      total: [...reasons.values()].reduce((a, b) => a + b, 0),
      reasons: [...reasons].sort((a, b) => b[1] - a[1]).map(([reason, count]) => ({ reason, count })),
      data: rows.map((r) => ({ t: iso(Number(r.t)), status: r.status, reason: r.reason, count: Number(r.n) })),
    });
  });

  return app;
}
