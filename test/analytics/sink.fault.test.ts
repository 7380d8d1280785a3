// A sink killed between its insert and its offset commit, then restarted: query results show no duplicate.
// The sink runs as `inflow start sink` in a child process (it owns its chDB folder while it runs);
// SINK_TEST_FAULT=kill_after_insert:1 makes it SIGKILL itself right after its first insert.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.ts';
import { createClickHouse } from '../../src/infra/clickhouse.ts';
import { testConfig, unique } from '../support/helpers.ts';
import { outcomes, outcomesTopic } from './outcomes.fixture.ts';

const prefix = `${unique('t.sinkfault')}.`;
const chdbPath = path.join(PROJECT_ROOT, '.inflow', 'test', 'chdb-analytics-sink-fault');
const cfg = testConfig({ KAFKA_TOPIC_PREFIX: prefix, CHDB_PATH: chdbPath });
const groupId = `${prefix}inflow-sink`; // the role's default group for this prefix
let topic: Awaited<ReturnType<typeof outcomesTopic>>;

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function startSink(env: Record<string, string>): Promise<{ child: ChildProcess; port: number; exited: Promise<NodeJS.Signals | number | null> }> {
  const port = await freePort();
  const child = spawn('node', [path.join(PROJECT_ROOT, 'bin', 'inflow.mjs'), 'start', 'sink'], {
    env: { ...process.env, KAFKA_TOPIC_PREFIX: prefix, CHDB_PATH: chdbPath, HTTP_PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  return { child, port, exited };
}

async function metric(port: number, line: string): Promise<number> {
  const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const found = body.split('\n').find((l) => l.startsWith(line + ' '));
  return found ? Number(found.slice(line.length + 1)) : 0;
}

beforeAll(async () => {
  rmSync(chdbPath, { recursive: true, force: true });
  topic = await outcomesTopic(cfg);
});
afterAll(() => topic.close());

describe('sink killed between insert and commit', () => {
  it('re-reads the uncommitted records after a restart and inserts none of them twice', async () => {
    const tenant = unique('tenant');
    await topic.produce(outcomes(tenant, 6000));

    // First life: inserts one batch of at most 1000 rows, then dies before committing it.
    const first = await startSink({ SINK_TEST_FAULT: 'kill_after_insert:1', SINK_MAX_ROWS: '1000' });
    expect(await first.exited).toBe('SIGKILL');
    expect([...(await topic.committed(groupId)).values()].every((o) => o < 0)).toBe(true); // nothing committed

    // Second life, with other batch boundaries (a different token): the held-position check skips what is there.
    const second = await startSink({ SINK_MAX_ROWS: '10000' });
    await vi.waitFor(
      async () => {
        const [end, committed] = await Promise.all([topic.endOffsets(), topic.committed(groupId)]);
        for (const [p, high] of end) expect(committed.get(p) ?? -1).toBe(high);
      },
      { timeout: 60_000, interval: 200 },
    );
    const held = await metric(second.port, 'inflow_sink_rows_skipped_total{reason="held"}');
    expect(held).toBeGreaterThan(0); // the first life's insert really happened and was recognised
    second.child.kill('SIGTERM');
    await second.exited;

    const ch = createClickHouse({ ...cfg, chdbPath });
    try {
      const q = async (query: string) => (await (await ch.query({ query, query_params: { t: tenant }, format: 'JSONEachRow' })).json<{ n: number }>())[0]!.n;
      const db = cfg.CLICKHOUSE_DATABASE;
      // Without FINAL: no duplicate row even before merges; the views (which never deduplicate) agree.
      expect(await q(`SELECT count() AS n FROM ${db}.outcomes WHERE tenant_id = {t:String}`)).toBe(6000);
      expect(await q(`SELECT uniqExact(outcome_id) AS n FROM ${db}.outcomes WHERE tenant_id = {t:String}`)).toBe(6000);
      expect(await q(`SELECT sum(n) AS n FROM ${db}.outcomes_per_minute WHERE tenant_id = {t:String}`)).toBe(6000);
      expect(await q(`SELECT sum(n) AS n FROM ${db}.dlq_reasons_per_minute WHERE tenant_id = {t:String}`)).toBe(2400);
    } finally {
      await ch.close();
    }
  });
});
