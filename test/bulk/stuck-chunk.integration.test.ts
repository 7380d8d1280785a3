// A chunk that cannot finish says so: while another transaction holds one of its contacts, the executor logs
// "bulk chunk still running" with the step it waits in (apply chunk), then finishes once the lock goes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBulkExecutor } from '../../src/bulk/executor.ts';
import { createRateLimiter } from '../../src/bulk/rate-limit.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { createBulkWorld, type BulkWorld } from './bulk.harness.ts';

let w: BulkWorld;
const lines: Record<string, unknown>[] = [];
let executor: ReturnType<typeof createBulkExecutor> | undefined;

beforeAll(async () => {
  w = await createBulkWorld();
  await w.startWorkers(0); // the planner only: the executor under test is built below, with a logger we read
  const logger = createLogger({ LOG_LEVEL: 'warn' }, 'inflow', { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  executor = createBulkExecutor({
    cfg: w.cfg, sql: w.sql, kafka: w.kafka, registry: createSchemaRegistry(w.cfg.SCHEMA_REGISTRY_URL),
    limiter: createRateLimiter(w.redis, { prefix: `${w.prefix}stuck-rate:` }), logger, stuckWarnMs: 300,
  });
  await executor.start();
});
afterAll(async () => {
  await executor?.stop();
  await w?.close();
});

describe('a bulk chunk held up', () => {
  it('is logged with the step it waits in, and completes once it can', async () => {
    const t = await w.tenant();
    await w.seed(t.id, 20);
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const holder = w.sql.begin(async (tx) => {
      await tx`select 1 from contacts where tenant_id = ${t.id} and id = 'c-0000007' for update`;
      locked();
      await released;
    });
    await isLocked;

    // The holder is released whatever happens below: a failed expectation must not leave the executor's chunk
    // waiting on this lock, or afterAll's executor.stop() waits for it until the hook times out.
    let id: string;
    try {
      const res = await w.call('POST', '/v1/bulk-actions', t.key, {
        entity: 'contacts', action: 'update', target: { filter: { field: 'country', op: 'eq', value: 'FR' } }, payload: { fields: { title: 'held' } },
      });
      id = ((await res.json()) as { id: string }).id;
      const stuck = await w.waitFor('a "still running" line', async () =>
        lines.find((l) => l.msg === 'bulk chunk still running' && l.bulk_action_id === id), 30_000);
      expect(stuck).toMatchObject({ step: 'apply chunk', chunk_no: expect.any(Number) });
      // libuv counts a timer from its loop time, read when the current tick began, not from the chunk's own
      // Date.now(); so a 300 ms watch can report a little less than 300 (CI once read 299). It must not fire early
      // by more than that lag.
      expect(stuck.elapsedMs).toBeGreaterThanOrEqual(250);
    } finally {
      release();
    }
    await holder;
    const done = await w.waitStatus(t.key, id, ['completed', 'completed_with_errors', 'failed'], 30_000);
    expect(done.status).toBe('completed');
    const [row] = await w.sql<{ n: number }[]>`select count(*)::int as n from contacts where tenant_id = ${t.id} and title = 'held'`;
    expect(row?.n).toBe(20);
  });
});
