// `inflow start all`: edge, worker, sink and API in one process share one chDB engine (ctx.clickhouse()).
// Events posted to the edge come back from /v1/analytics and from `inflow sql` routed through the same process.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { PROJECT_ROOT } from '../../src/config.ts';
import { createPostgres } from '../../src/infra/postgres.ts';
import { testConfig, unique } from '../support/helpers.ts';
import { outcomesTopic } from './outcomes.fixture.ts';

const prefix = `${unique('t.all')}.`;
const chdbPath = path.join(PROJECT_ROOT, '.inflow', 'test', 'chdb-analytics-all');
const cfg = testConfig({ KAFKA_TOPIC_PREFIX: prefix, CHDB_PATH: chdbPath });
const tenant = unique('tenant');
const bin = path.join(PROJECT_ROOT, 'bin', 'inflow.mjs');
let child: ChildProcess;
let port = 0;
let key = '';

beforeAll(async () => {
  rmSync(chdbPath, { recursive: true, force: true });
  await (await outcomesTopic(cfg)).close(); // every prefixed topic and schema
  const sql = createPostgres(cfg, { max: 1 });
  key = (await createApiKey(sql, { tenantId: tenant, scopes: ['ingest', 'read', 'admin'] })).key;
  await sql.end();
  port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const free = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(free));
    });
  });
  child = spawn('node', [bin, 'start', 'all'], {
    env: { ...process.env, KAFKA_TOPIC_PREFIX: prefix, CHDB_PATH: chdbPath, HTTP_PORT: String(port), LOG_LEVEL: 'error', ANALYTICS_SQL_ENDPOINT: 'on', SINK_MAX_WAIT_MS: '200' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200), { timeout: 90_000, interval: 250 });
}, 120_000);
afterAll(async () => {
  if (!child) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
});

describe('inflow start all', () => {
  it('serves the outcomes of events it ingested, through the API and through inflow sql', async () => {
    const now = Date.now();
    const events = Array.from({ length: 40 }, (_, i) => ({
      type: 'lead.created', entity_id: `lead-${i}`, occurred_at: now, consent: i % 10 !== 0, data: { email: `u${i}@example.com`, first_name: 'A', utm_source: 'google' },
    }));
    const posted = await fetch(`http://127.0.0.1:${port}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    expect(posted.status).toBe(202);
    const api = (p: string) => fetch(`http://127.0.0.1:${port}/v1/analytics${p}`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.json() as Promise<Record<string, unknown>>);
    await vi.waitFor(async () => expect(await api('/outcomes?group_by=status')).toMatchObject({ total: 40 }), { timeout: 60_000, interval: 300 });
    expect((await api('/outcomes?group_by=status')).data).toEqual([
      { status: 'applied', count: 36 },
      { status: 'rejected', count: 4 },
    ]);
    expect(await api('/latency')).toMatchObject({ count: 36 });
    expect(await api('/dlq')).toMatchObject({ total: 4 });

    const { stdout } = await promisify(execFile)('node', [bin, 'sql', '--format', 'json', `SELECT count() AS n, uniqExact(outcome_id) AS ids FROM outcomes WHERE tenant_id = '${tenant}'`], {
      env: { ...process.env, CHDB_PATH: chdbPath, INFLOW_API_URL: `http://127.0.0.1:${port}`, INFLOW_API_KEY: key, LOG_LEVEL: 'error' },
    });
    expect(JSON.parse(stdout)).toEqual([{ n: 40, ids: 40 }]);
  });
});
