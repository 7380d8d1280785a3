// An executor process killed (SIGKILL) inside a chunk transaction, or right after its commit before the outcomes
// went out: after a restart nothing is applied twice, every contact has exactly one outcome id, counts are exact.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.ts';
import { createBulkWorld, type BulkWorld } from './bulk.harness.ts';

let w: BulkWorld;
const children = new Set<ChildProcess>();
beforeAll(async () => {
  w = await createBulkWorld({ overrides: { BULK_CHUNK_SIZE: '500' } });
});
// A test that failed half-way leaves its children running; they would plan and apply the next test's action.
afterEach(() => {
  for (const c of children) c.kill('SIGKILL');
});
afterAll(async () => {
  await w?.close();
});

// Each child's log (info level) is kept in memory and printed when the test fails: a hang on a CI machine then
// says which step it stopped at instead of only "timed out".
const childLogs: string[] = [];

/** `inflow start bulk` as a child process on this test's topics, optionally with a fault. */
function startExecutor(fault?: string): { child: ChildProcess; exited: Promise<NodeJS.Signals | number | null> } {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'inflow.mjs'), 'start', 'bulk'], {
    env: {
      ...process.env,
      KAFKA_TOPIC_PREFIX: w.prefix,
      HTTP_PORT: String(20_000 + Math.floor(Math.random() * 20_000)),
      CHDB_PATH: path.join(PROJECT_ROOT, '.inflow', 'test', 'chdb-bulk-fault'), // the bulk role opens chDB (logs); a folder of its own
      BULK_PLANNER_INTERVAL_MS: '100',
      BULK_TEST_FAULT: fault ?? '',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tag = `[${fault || 'healthy'} pid ${child.pid}]`;
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) if (line) childLogs.push(`${tag} ${line.slice(0, 600)}`);
    if (childLogs.length > 400) childLogs.splice(0, childLogs.length - 400);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  children.add(child);
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
  void exited.then(() => children.delete(child));
  return { child, exited };
}

/** Resolves with `p`, or fails naming the step once `ms` passed (the test's own timeout would not say where). */
function within<T>(what: string, ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function stopExecutor(p: { child: ChildProcess; exited: Promise<unknown> }) {
  p.child.kill('SIGTERM');
  await p.exited;
}

for (const fault of ['kill_in_tx:3', 'kill_after_commit:3']) {
  describe(`an executor killed (${fault})`, () => {
    it('applies nothing twice and ends with exact counts and one outcome per contact', async () => {
      childLogs.length = 0;
      onTestFailed(async () => {
        console.error(`last lines of the bulk processes' logs:\n${childLogs.slice(-120).join('\n')}`);
        // what the database was doing: a chunk stuck on a lock shows here with its wait event and its blocker
        const busy = await w.sql`
          select pid, application_name, state, wait_event_type, wait_event, pg_blocking_pids(pid) as blocked_by,
                 now() - xact_start as in_tx, left(query, 160) as query
          from pg_stat_activity where datname = current_database() and state <> 'idle' and pid <> pg_backend_pid()`.catch((err: unknown) => [String(err)]);
        console.error(`non-idle Postgres sessions:\n${busy.map((r) => JSON.stringify(r)).join('\n')}`);
      });
      const t = await w.tenant();
      await w.seed(t.id, 5_000);
      const res = await w.call('POST', '/v1/bulk-actions', t.key, {
        entity: 'contacts',
        action: 'update',
        target: { filter: { field: 'country', op: 'eq', value: 'FR' } },
        payload: { fields: { title: `after ${fault}` } },
      });
      const { id } = (await res.json()) as { id: string };

      const doomed = startExecutor(fault);
      expect(await within(`the executor with ${fault} killing itself`, 60_000, doomed.exited)).toBe('SIGKILL');
      const [mid] = await w.sql<{ chunks: number; changed: number }[]>`
        select (select count(*)::int from bulk_chunks where bulk_action_id = ${id}) as chunks,
               (select count(*)::int from contacts where tenant_id = ${t.id} and version > 1) as changed`;
      expect(mid!.chunks).toBeGreaterThanOrEqual(fault.startsWith('kill_in_tx') ? 2 : 3);
      expect(mid!.chunks).toBeLessThan(10);
      expect(mid!.changed).toBe(mid!.chunks * 500); // the killed transaction left nothing behind

      const healthy = startExecutor();
      const done = await w.waitStatus(t.key, id, ['completed', 'completed_with_errors', 'failed'], 100_000);
      await within('the healthy executor stopping on SIGTERM', 20_000, stopExecutor(healthy));
      expect(done.status).toBe('completed');
      const [truth] = await w.sql<{ v2: number; other: number }[]>`
        select count(*) filter (where version = 2 and title = ${`after ${fault}`})::int as v2, count(*) filter (where version <> 2)::int as other
        from contacts where tenant_id = ${t.id}`;
      expect(truth).toEqual({ v2: 5_000, other: 0 });
      const stats = (await (await w.call('GET', `/v1/bulk-actions/${id}/stats`, t.key)).json()) as Record<string, unknown>;
      expect(stats).toMatchObject({ total: 5_000, succeeded: 5_000, failed: 0, skipped: 0 });

      const outcomes = await w.readOutcomes(5_000, 45_000, id);
      expect(new Set(outcomes.map((o) => o.outcome_id)).size).toBe(5_000);
      expect(new Set(outcomes.map((o) => o.entity_id)).size).toBe(5_000);
      expect(outcomes.every((o) => o.status === 'succeeded' && o.entity_version === 2)).toBe(true);
    }, 240_000);
  });
}
