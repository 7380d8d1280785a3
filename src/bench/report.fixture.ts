// A synthetic but complete report, built through the real builder: for the unit tests, the HTML rendering test and
// `inflow bench` demos without a running stack.
import type { BenchResponse } from './load.driver.ts';
import { createRecorder } from './recorder.ts';
import { buildReport, type BenchReport } from './report.ts';
import { createHistogram } from './stats.ts';

export function sampleReport(overrides: { acceptedPerS?: number; p99?: number; seconds?: number } = {}): BenchReport {
  const seconds = overrides.seconds ?? 30;
  const perS = overrides.acceptedPerS ?? 20_000;
  const recorder = createRecorder();
  const e2e = createHistogram();
  let id = 0;
  for (let s = 0; s < seconds; s++) {
    for (let r = 0; r < perS / 100; r++) {
      const ids = Array.from({ length: 100 }, () => `ev-${id++}`);
      const latencyMs = 2 + ((r * 7 + s) % 20) + (r % 97 === 0 ? (overrides.p99 ?? 60) : 0);
      const res: BenchResponse = {
        request: { kind: 'batch', method: 'POST', path: '/v1/events', headers: {}, body: Buffer.alloc(0), events: 100, tenant: 0, eventIds: ids },
        status: r % 50 === 49 ? 503 : 202,
        body: JSON.stringify({ accepted: 100, event_ids: ids, duplicates: [], rejected: [] }),
        latencyMs,
      };
      recorder.record(res, s * 1000 + r);
      e2e.record(latencyMs * 10);
    }
  }
  const applied = Array.from({ length: seconds + 3 }, (_, s) => ({ t: s * 1000, total: Math.min(s, seconds) * perS * 0.98 }));
  const outcomes = new Map(Array.from({ length: seconds + 2 }, (_, s) => [s + 1, s < seconds ? perS * 0.97 : perS * 0.03]));
  return buildReport({
    scenario: 'ingest-batch',
    startedAt: new Date('2026-11-24T03:00:00Z'),
    finishedAt: new Date('2026-11-24T03:01:00Z'),
    command: 'inflow bench ingest-batch --duration 30s',
    target: 'http://127.0.0.1:3000',
    options: { batch: 100 },
    recorder,
    loadMs: seconds * 1000,
    drainMs: 3000,
    backlog: 0,
    applied,
    appliedByStatus: { applied: id },
    outcomesPerSecond: outcomes,
    outcomesTotal: id,
    outcomesByStatus: { applied: id },
    e2e: e2e.summary(),
    clickhouse: Array.from({ length: seconds + 4 }, (_, s) => ({ t: s * 1000, total: Math.min(Math.max(0, s - 1), seconds) * perS * 0.98 })),
    ceilings: [
      { name: 'http', what: 'bare Hono route', eventsPerS: 400_000, requestsPerS: 4000 },
      { name: 'broker', what: 'ProducerPerformance', eventsPerS: 90_000 },
      { name: 'postgres', what: 'COPY', eventsPerS: 60_000 },
      { name: 'clickhouse', what: 'raw insert', eventsPerS: 250_000 },
    ],
    processes: Array.from({ length: seconds }, (_, s) => [
      { t: s * 1000, name: 'inflow :3000', cpuPct: 120 + (s % 5), rssMb: 400 + s },
      { t: s * 1000, name: 'kafka', cpuPct: 40, rssMb: 900 },
      { t: s * 1000, name: 'postgres', cpuPct: 30 + (s % 3), rssMb: 200 },
    ]).flat(),
    lag: Array.from({ length: seconds / 2 }, (_, i) => ({ t: i * 2000, group: 'inflow-workers', topic: 'crm.events', lag: (i % 4) * 1000 })),
    findMax: null,
    correctness: { ok: true, accepted: id, applied: id, withOutcome: id, missingApplied: { count: 0, sample: [] }, doubledApplied: { count: 0, sample: [] }, missingOutcome: { count: 0, sample: [] }, doubledOutcome: { count: 0, sample: [] }, untracked: 0, notes: [] },
    notes: ['synthetic report'],
  });
}
