// The worker pool as users run it: `inflow start worker --concurrency 2` (two OS processes, one consumer each) on private
// topics. Drains exactly once; the control API pauses and resumes every process; status lists each process's partitions;
// kill -9 of one process mid-run → restarted, still exactly once; SIGTERM to the parent stops every process gracefully.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { PROJECT_ROOT } from '../../src/config.ts';
import type { CrmEvent, Outcome } from '../../src/pipeline/event.types.ts';
import type { PoolStatus } from '../../src/pipeline/worker.pool.ts';
import { testEnv } from '../support/test-env.ts';
import { crmEvent, distinctOutcomes, pipelineEnv, produceEvents, readOutcomes, waitFor, type PipelineEnv } from './pipeline.support.ts';

let env: PipelineEnv;
let pool: ChildProcess;
let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
let output = '';
let base = '';
let key = '';

type Status = PoolStatus & { state: string; lag: { total: number } };
const api = async (method: string, route: string) => {
  const res = await fetch(`${base}${route}`, { method, headers: { authorization: `Bearer ${key}` } });
  expect(res.status, `${method} ${route}`).toBe(200);
  return res;
};
const status = async () => (await (await api('GET', '/api/v1/crm-ingestion/status')).json()) as Status;
const total = (s: Pick<Status, 'processed'>) => Object.values(s.processed).reduce((a, b) => a + b, 0);
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(async () => {
  env = await pipelineEnv('pool');
  key = (await createApiKey(env.sql, { tenantId: env.tenant, scopes: ['admin', 'read'] })).key;
  const port = await new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const free = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(free));
    });
  });
  base = `http://127.0.0.1:${port}`;
  pool = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'inflow.mjs'), 'start', 'worker', '--concurrency', '2'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env, ...testEnv(), KAFKA_TOPIC_PREFIX: env.prefix, HTTP_PORT: String(port), WORKER_POOL: 'processes', WORKER_GEOIP: 'off',
      WORKER_BATCH_SIZE: '50', // several batches per run, so a kill lands mid-run
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  pool.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  pool.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  exited = new Promise((resolve) => pool.once('exit', (code, signal) => resolve({ code, signal })));
  // both processes are members with their share of the 6 partitions
  await waitFor(async () => (await fetch(`${base}/health`).catch(() => null))?.ok && (await status()).workers.every((w) => w.partitions.length > 0), 90_000, 250);
}, 120_000);
afterAll(async () => {
  if (pool && pool.exitCode === null && pool.signalCode === null) {
    pool.kill('SIGTERM');
    await exited;
  }
  await env?.close();
});

/** n events over n/5 contacts (tag-prefixed), each contact's events in time order, so every one of them must apply. */
function workload(n: number, tag: string): CrmEvent[] {
  const t0 = Date.now() - 3_600_000;
  return Array.from({ length: n }, (_, i) => {
    const entity = `${tag}-c${i % Math.max(1, Math.floor(n / 5))}`;
    return crmEvent(env, {
      type: i < n / 5 ? 'contact.created' : 'contact.updated', entity_id: entity, occurred_at: t0 + i * 1000,
      contact: { first_name: `n${i}`, last_name: null, email: `${entity}@x.io`, phone: null, company: null, title: null, country: null, owner_id: null, status: null, tags: null },
    });
  });
}

const outcomesOf = (events: CrmEvent[], timeoutMs = 120_000) => {
  const ids = new Set(events.map((e) => e.event_id));
  return readOutcomes(env, (os) => new Set(os.filter((o) => ids.has(o.event_id!)).map((o) => o.event_id)).size === ids.size, timeoutMs);
};

/** Postgres and the outcomes topic agree: each event applied once (one `applied` outcome id), each contact's version = its events. */
async function expectExactlyOnce(events: CrmEvent[], tag: string, outcomes: Outcome[]): Promise<void> {
  const byEvent = distinctOutcomes(outcomes);
  for (const e of events) {
    const mine = byEvent.get(e.event_id) ?? [];
    expect(mine.filter((o) => o.status === 'applied'), `event ${e.event_id}`).toHaveLength(1);
    // a second outcome can only be the `duplicate` of a second copy of the message (a producer retry)
    expect(mine.every((o) => o.status === 'applied' || o.status === 'duplicate'), `event ${e.event_id}`).toBe(true);
  }
  const perEntity = new Map<string, number>();
  for (const e of events) perEntity.set(e.entity_id, (perEntity.get(e.entity_id) ?? 0) + 1);
  const rows = await env.sql<{ id: string; version: string }[]>`select id, version::text from contacts where tenant_id = ${env.tenant} and id like ${tag + '-%'}`;
  expect(rows).toHaveLength(perEntity.size);
  for (const r of rows) expect(Number(r.version), `contact ${r.id}`).toBe(perEntity.get(r.id));
  const [p] = await env.sql<{ n: number }[]>`select count(*)::int as n from processed_events where tenant_id = ${env.tenant} and status = 'applied' and event_id in ${env.sql(events.map((e) => e.event_id))}`;
  expect(p!.n).toBe(events.length);
}

const metric = async (line: RegExp) => {
  const text = await (await fetch(`${base}/metrics`)).text();
  return Number(text.split('\n').find((l) => line.test(l))?.split(' ').pop() ?? NaN);
};

describe('inflow start worker --concurrency 2 (a pool of processes)', () => {
  it('runs two processes whose partitions split the topic, and drains it exactly once', { timeout: 180_000 }, async () => {
    const s = await status();
    expect(s.workers).toHaveLength(2);
    expect(new Set(s.workers.map((w) => w.pid)).size).toBe(2);
    expect(s.workers.map((w) => w.pid)).not.toContain(pool.pid);
    const all = s.workers.flatMap((w) => w.partitions).sort();
    expect(all).toEqual([0, 1, 2, 3, 4, 5]); // each partition owned by exactly one process
    expect(s.partitions.map((p) => p.worker).sort()).toEqual([0, 0, 0, 1, 1, 1]);

    const events = workload(400, 'drain');
    await produceEvents(env, events);
    await expectExactlyOnce(events, 'drain', await outcomesOf(events));
    const after = await waitFor(async () => {
      const x = await status();
      return total(x) >= 400 ? x : undefined;
    });
    expect(after.processed.applied).toBe(400);
    for (const w of after.workers) expect(w.processed.applied, `worker ${w.index}`).toBeGreaterThan(0); // both did work
    // the parent's /metrics carries the children's counters, summed
    expect(await metric(/^consumer_events_processed_total\{outcome="applied"\}/)).toBe(400);
    expect(await metric(/^worker_pool_processes /)).toBe(2);
  });

  it('stop pauses every process (nothing applied, lag grows) and start resumes them all', { timeout: 180_000 }, async () => {
    const before = await status();
    expect(await (await api('POST', '/api/v1/crm-ingestion/stop')).json()).toMatchObject({ status: 'paused' });
    const paused = await status();
    expect(paused.state).toBe('paused');
    expect(paused.workers.map((w) => w.paused)).toEqual([true, true]);

    const events = workload(120, 'pause');
    await produceEvents(env, events);
    await waitFor(async () => (await status()).lag.total >= events.length);
    await new Promise((r) => setTimeout(r, 3_000)); // an observation window: nothing may be applied while paused
    const [none] = await env.sql<{ n: number }[]>`select count(*)::int as n from processed_events where event_id in ${env.sql(events.map((e) => e.event_id))}`;
    expect(none!.n).toBe(0);
    expect(total(await status())).toBe(total(before));

    expect(await (await api('POST', '/api/v1/crm-ingestion/start')).json()).toMatchObject({ status: 'running' });
    await expectExactlyOnce(events, 'pause', await outcomesOf(events));
    const resumed = await waitFor(async () => {
      const x = await status();
      return total(x) >= total(before) + events.length ? x : undefined;
    });
    expect(resumed.workers.map((w) => w.paused)).toEqual([false, false]);
    for (const w of resumed.workers) {
      expect(w.processed.applied ?? 0, `worker ${w.index} resumed`).toBeGreaterThan(before.workers[w.index]!.processed.applied ?? 0);
    }
  });

  it('kill -9 of one process mid-run: it is restarted, and every event is still applied exactly once', { timeout: 240_000 }, async () => {
    const before = await status();
    const victim = before.workers[0]!;
    const events = workload(1500, 'kill');
    await produceEvents(env, events);
    await waitFor(async () => total(await status()) >= total(before) + 50, 60_000, 50); // mid-run
    process.kill(victim.pid!, 'SIGKILL');
    const [done] = await env.sql<{ n: number }[]>`select count(*)::int as n from processed_events where event_id in ${env.sql(events.map((e) => e.event_id))}`;
    expect(done!.n).toBeLessThan(events.length); // the kill landed mid-run

    const restarted = await waitFor(async () => {
      const x = await status();
      const w = x.workers[0]!;
      return w.restarts === 1 && w.state === 'running' && w.pid !== victim.pid ? x : undefined;
    }, 60_000);
    expect(restarted.workers[0]!.lastExit).toMatchObject({ signal: 'SIGKILL' });
    expect(restarted.lastError?.message ?? '').toMatch(/exited/);
    expect(alive(victim.pid!)).toBe(false);

    await expectExactlyOnce(events, 'kill', await outcomesOf(events, 180_000));
    // the group settles with both processes as members again
    await waitFor(async () => (await status()).workers.every((w) => w.partitions.length > 0), 60_000);
    expect(await metric(/^worker_pool_restarts_total /)).toBe(1);
  });

  it('SIGTERM to the parent stops every process gracefully', { timeout: 60_000 }, async () => {
    const pids = (await status()).workers.map((w) => w.pid!);
    expect(pids.every(alive)).toBe(true);
    pool.kill('SIGTERM');
    expect(await exited).toEqual({ code: 0, signal: null });
    expect(pids.filter(alive)).toEqual([]);
    expect(output).toMatch(/worker pool stopped/);
    expect(output.match(/"reason":"stop from the pool"/g)).toHaveLength(2); // each process ran its graceful shutdown
  });
});
