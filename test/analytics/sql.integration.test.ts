// `inflow sql`: read-only SQL on the embedded engine, and what happens when a running inflow process owns the folder.
import { execFile, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { batchToken, toRowLine } from '../../src/analytics/outcome.row.ts';
import { createOutcomesStore } from '../../src/analytics/outcomes.store.ts';
import { PROJECT_ROOT } from '../../src/config.ts';
import { createPostgres } from '../../src/infra/postgres.ts';
import { testClickHouse, testConfig, unique } from '../support/helpers.ts';
import { outcomes, outcomesTopic } from './outcomes.fixture.ts';

const prefix = `${unique('t.sql')}.`;
const chdbPath = path.join(PROJECT_ROOT, '.inflow', 'test', 'chdb-analytics-sql');
const cfg = testConfig({ KAFKA_TOPIC_PREFIX: prefix, CHDB_PATH: chdbPath });
const tenant = unique('tenant');
const env = { ...process.env, KAFKA_TOPIC_PREFIX: prefix, CHDB_PATH: chdbPath, LOG_LEVEL: 'warn' };
const bin = path.join(PROJECT_ROOT, 'bin', 'inflow.mjs');

async function inflowSql(args: string[], extra: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [bin, 'sql', ...args], { env: { ...env, ...extra } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  rmSync(chdbPath, { recursive: true, force: true });
  const ch = await testClickHouse('analytics-sql', cfg); // helpers name the folder chdb-<name>: the same one
  const lines = outcomes(tenant, 50).map((o, i) => toRowLine(o, { topic: 'sql', partition: 0, offset: i }));
  await createOutcomesStore(ch, cfg.CLICKHOUSE_DATABASE).insert(lines, batchToken('sql', [{ partition: 0, first: 0, last: 49 }]));
  await ch.close();
});

describe('inflow sql on the embedded engine', () => {
  it('prints a table by default, resolving tables in CLICKHOUSE_DATABASE', async () => {
    const { code, stdout } = await inflowSql([`SELECT status, count() AS n FROM outcomes WHERE tenant_id = '${tenant}' GROUP BY status ORDER BY status`]);
    expect(code).toBe(0);
    expect(stdout.split('\n').slice(0, 3)).toEqual(['status      n', '---------  --', 'applied    20']);
    expect(stdout).toContain('(4 rows)');
  });

  it('prints CSV and JSON', async () => {
    const q = `SELECT count() AS n, 'a,b' AS s FROM outcomes WHERE tenant_id = '${tenant}'`;
    expect((await inflowSql(['--format', 'csv', q])).stdout.trim()).toBe('n,s\n50,"a,b"');
    expect(JSON.parse((await inflowSql(['--format', 'json', q])).stdout)).toEqual([{ n: 50, s: 'a,b' }]);
  });

  it.each([
    ['DROP TABLE outcomes', /read-only: DROP is not allowed/],
    ['SELECT 1; DROP TABLE outcomes', /one statement at a time/],
    ["INSERT INTO outcomes (outcome_id) VALUES ('x')", /read-only: INSERT/],
    ["SELECT * FROM file('/etc/passwd', 'LineAsString')", /readonly mode/], // the engine's readonly=1, not only the check
  ])('refuses %s', async (query, message) => {
    const { code, stderr } = await inflowSql([query]);
    expect(code).toBe(1);
    expect(stderr).toMatch(message);
  });
});

describe('inflow sql while `inflow start` owns the folder', () => {
  let child: ReturnType<typeof spawn> | undefined;
  let port = 0;
  let adminKey = '';

  beforeAll(async () => {
    const topic = await outcomesTopic(cfg);
    await topic.close();
    const sql = createPostgres(cfg, { max: 1 });
    adminKey = (await createApiKey(sql, { tenantId: tenant, scopes: ['admin', 'read'] })).key;
    await sql.end();
    port = await freePort();
    child = spawn('node', [bin, 'start', 'sink', 'api'], { env: { ...env, HTTP_PORT: String(port), ANALYTICS_SQL_ENDPOINT: 'on' }, stdio: ['ignore', 'inherit', 'inherit'] });
    await vi.waitFor(async () => expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200), { timeout: 60_000, interval: 250 });
  }, 90_000);
  afterAll(async () => {
    if (!child) return;
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  });

  it('says what to do when no key is given', async () => {
    const { code, stderr } = await inflowSql(['SELECT 1'], { INFLOW_API_KEY: '' });
    expect(code).toBe(1);
    expect(stderr).toMatch(/held by another process/);
    expect(stderr).toMatch(/ANALYTICS_SQL_ENDPOINT=on/);
  });

  it('runs the query inside that process with an admin key, still read-only', async () => {
    const url = { INFLOW_API_URL: `http://127.0.0.1:${port}` };
    const ok = await inflowSql(['--key', adminKey, '--format', 'json', `SELECT count() AS n FROM outcomes WHERE tenant_id = '${tenant}'`], url);
    expect(ok.code).toBe(0); // (chDB itself prints its lock failure on stderr before inflow falls back to HTTP)
    expect(JSON.parse(ok.stdout)).toEqual([{ n: 50 }]);
    const refused = await inflowSql(['--key', adminKey, "SELECT * FROM file('/etc/passwd', 'LineAsString')"], url);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/readonly mode/);
    // The process's own session is untouched by the read-only one: its sink still inserts what arrives.
    const later = unique('tenant');
    const topic = await outcomesTopic(cfg);
    await topic.produce(outcomes(later, 20));
    await topic.close();
    await vi.waitFor(
      async () => {
        const res = await inflowSql(['--key', adminKey, '--format', 'csv', `SELECT count() FROM outcomes WHERE tenant_id = '${later}'`], url);
        expect(res.stdout.trim().split('\n')[1]).toBe('20');
      },
      { timeout: 30_000, interval: 500 },
    );
  });
});
