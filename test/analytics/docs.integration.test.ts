// The five analyst questions of the README (Analytics), run as written (tenant replaced) through the read-only path.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchToken, toRowLine, type OutcomeRecord } from '../../src/analytics/outcome.row.ts';
import { createOutcomesStore } from '../../src/analytics/outcomes.store.ts';
import { createReadOnlyClickHouse, runReadOnly } from '../../src/analytics/sql.runner.ts';
import { PROJECT_ROOT } from '../../src/config.ts';
import type { ClickHouseClient } from '../../src/infra/clickhouse.ts';
import { testClickHouse, testConfig, unique } from '../support/helpers.ts';
import { outcomes } from './outcomes.fixture.ts';

const doc = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
const questions = new Map([...doc.matchAll(/```sql\n-- (Q\d): [^\n]*\n([\s\S]*?)```/g)].map((m) => [m[1]!, m[2]!]));
const chdbPath = path.join(PROJECT_ROOT, '.inflow', 'test', 'chdb-analytics-docs');
const cfg = testConfig({ CHDB_PATH: chdbPath });
const tenant = unique('tenant');
let ch: ClickHouseClient;
let readOnly: ClickHouseClient;

async function ask(q: string): Promise<Record<string, unknown>[]> {
  const { columns, rows } = await runReadOnly(readOnly, questions.get(q)!.replaceAll("'acme'", `'${tenant}'`));
  return rows.map((r) => Object.fromEntries(columns.map((c, i) => [c.name, r[i]])));
}

beforeAll(async () => {
  ch = await testClickHouse('analytics-docs', cfg);
  const now = Date.now() - 60_000;
  const one = (o: Partial<OutcomeRecord>) => outcomes(tenant, 1, { status: 'applied', reason: null, ...o }, now)[0]!;
  const rows: OutcomeRecord[] = [];
  for (let i = 1; i <= 10; i++) rows.push(one({ type: 'lead.created', entity_id: `L${i}`, utm_source: i <= 6 ? 'google' : 'facebook', source: 'api' }));
  for (const id of ['L1', 'L2', 'L7']) rows.push(one({ type: 'lead.converted', entity_id: id, utm_source: null, source: 'api' }));
  rows.push(one({ type: 'lead.created', entity_id: 'L1', status: 'duplicate', source: 'api' }), one({ type: 'lead.created', entity_id: 'L2', status: 'duplicate', source: 'api' }));
  rows.push(one({ type: 'contact.updated', entity_type: 'contact', entity_id: 'C1', status: 'duplicate', source: 'webhook' }));
  for (let i = 0; i < 3; i++) rows.push(one({ type: 'lead.created', entity_id: `R${i}`, status: 'rejected', reason: 'invalid email' }));
  rows.push(one({ type: 'lead.created', entity_id: 'F1', status: 'failed', reason: 'timeout' }));
  for (let i = 0; i < 3; i++) rows.push(one({ type: 'opportunity.won', entity_type: 'opportunity', entity_id: `O${i}`, processed_at: Date.parse('2026-03-02T12:00:00Z') }));
  rows.push(one({ type: 'opportunity.won', entity_type: 'opportunity', entity_id: 'O9', processed_at: Date.parse('2026-03-03T12:00:00Z') }));
  const lines = rows.map((o, i) => toRowLine(o, { topic: 'docs', partition: 0, offset: i }));
  await createOutcomesStore(ch, cfg.CLICKHOUSE_DATABASE).insert(lines, batchToken(unique('docs'), [{ partition: 0, first: 0, last: lines.length - 1 }]));
  readOnly = await createReadOnlyClickHouse({ ...cfg, chdbPath }); // a second, read-only session on the same engine
});
afterAll(async () => {
  await readOnly.close();
  await ch.close();
});

describe('README analyst questions', () => {
  it('has five', () => expect([...questions.keys()]).toEqual(['Q1', 'Q2', 'Q3', 'Q4', 'Q5']));

  it('Q1 conversion funnel by UTM source', async () => {
    expect(await ask('Q1')).toEqual([
      { utm: 'google', leads: 6, converted: 2, pct: 33.3 },
      { utm: 'facebook', leads: 4, converted: 1, pct: 25 },
    ]);
  });

  it('Q2 DLQ reasons this week', async () => {
    expect(await ask('Q2')).toEqual([
      { reason: 'invalid email', status: 'rejected', outcomes: 3 },
      { reason: 'timeout', status: 'failed', outcomes: 1 },
    ]);
  });

  it('Q3 p99 latency per hour', async () => {
    const rows = await ask('Q3');
    expect(rows.reduce((s, r) => s + Number(r.applied), 0)).toBe(17); // 10 created + 3 converted + 4 won
    for (const r of rows) expect(Number(r.p99_ms)).toBeGreaterThan(0);
  });

  it('Q4 duplicates per source', async () => {
    expect((await ask('Q4')).map((r) => [r.source, r.duplicates])).toEqual([
      ['api', 2],
      ['webhook', 1],
    ]);
  });

  it('Q5 opportunities won per day', async () => {
    expect(await ask('Q5')).toEqual([
      { day: '2026-03-02', won: 3 },
      { day: '2026-03-03', won: 1 },
    ]);
  });
});
