// A planner process SIGKILLed mid-plan, between producing a batch of chunks and saving its cursor: no planner takes
// the action over before the lease expires, the next planner then resumes from the saved cursor, and the chunk set
// is exact — every chunk number once in the ledger, every contact in exactly one chunk, applied once.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.ts';
import { topicName } from '../../src/infra/kafka.ts';
import { createDecoder } from '../../src/schemas/avro.codec.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { schemaType } from '../../src/schemas/schema-files.ts';
import { unique } from '../support/helpers.ts';
import { createBulkWorld, type BulkWorld } from './bulk.harness.ts';

const CONTACTS = 10_000;
const CHUNK = 100; // 100 chunks, produced 20 per send: the planner dies after its 2nd send (chunks 20-39 out, cursor at 20)

let w: BulkWorld;
beforeAll(async () => {
  w = await createBulkWorld({ overrides: { BULK_CHUNK_SIZE: String(CHUNK) } });
});
afterAll(async () => {
  await w?.close();
});

/** Every chunk message of one action on this world's crm.bulk.chunks: chunk_no and ids, in topic order per partition. */
async function chunkMessages(actionId: string, expected: number) {
  const consumer = w.kafka.consumer({ groupId: unique('g.bulk-chunks') });
  const decoder = createDecoder(createSchemaRegistry(w.cfg.SCHEMA_REGISTRY_URL), schemaType('bulk-chunk'));
  const out: { chunk_no: number; entity_ids: string[] }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: topicName(w.cfg, 'crm.bulk.chunks'), fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const { value } = await decoder.decode<{ bulk_action_id: string; chunk_no: number; entity_ids: string[] }>(message.value!);
      if (value.bulk_action_id === actionId) out.push({ chunk_no: value.chunk_no, entity_ids: value.entity_ids });
    },
  });
  await w.waitFor(`${expected} chunk messages`, async () => out.length >= expected, 60_000, 200);
  await new Promise((r) => setTimeout(r, 1_000)); // a moment for any message beyond the expected ones to show up
  await consumer.disconnect();
  return out;
}

describe('a planner killed mid-plan', () => {
  it('is taken over after its lease expires, and the chunk set is exact', async () => {
    const t = await w.tenant();
    await w.seed(t.id, CONTACTS);
    const res = await w.call('POST', '/v1/bulk-actions', t.key, {
      entity: 'contacts',
      action: 'update',
      target: { filter: { field: 'country', op: 'eq', value: 'FR' } },
      payload: { fields: { title: 'after takeover' } },
    });
    expect(res.status).toBe(201);
    const { id } = (await res.json()) as { id: string };

    const doomed = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'inflow.mjs'), 'start', 'bulk'], {
      env: { ...process.env, KAFKA_TOPIC_PREFIX: w.prefix, HTTP_PORT: String(20_000 + Math.floor(Math.random() * 20_000)), BULK_PLANNER_INTERVAL_MS: '100', BULK_TEST_FAULT: 'kill_in_plan:2', LOG_LEVEL: 'error' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const exit = await new Promise<NodeJS.Signals | number | null>((resolve) => doomed.once('exit', (code, signal) => resolve(signal ?? code)));
    expect(exit).toBe('SIGKILL');

    const [dead] = await w.sql<{ status: string; chunks_planned: number; chunks_total: number | null; total: string; lease_left_ms: number; lease: Date }[]>`
      select status, chunks_planned, chunks_total, total, (extract(epoch from planner_lease_until - now()) * 1000)::float8 as lease_left_ms,
             planner_lease_until as lease
      from bulk_actions where id = ${id}`;
    const { lease, ...deadState } = dead!;
    // the first send's cursor was saved; the second send's 20 chunks are in the topic, its cursor save never happened
    expect(deadState).toMatchObject({ status: 'running', chunks_planned: 20, chunks_total: null, total: String(20 * CHUNK) });
    expect(deadState.lease_left_ms).toBeGreaterThan(5_000);

    // A healthy planner from now on; until the lease expires it must leave the action alone. (The executor comes
    // after: its group join waits out the dead process's session, longer than the lease has left.)
    await w.startWorkers(0, true);
    let polls = 0;
    await w.waitFor('the dead planner\'s lease to expire', async () => {
      // the dead planner's lease, not the current one: a takeover renews the lease at once
      const [row] = await w.sql<{ chunks_planned: number; expired: boolean }[]>`
        select chunks_planned, now() >= ${lease}::timestamptz as expired from bulk_actions where id = ${id}`;
      if (row!.expired) return true; // from here on the healthy planner may (and should) take over
      expect(row!.chunks_planned).toBe(20); // nobody resumed planning while the lease held
      polls += 1;
      return false;
    }, 60_000, 200);
    expect(polls).toBeGreaterThan(10); // the lease was watched for seconds, not one poll
    await w.startWorkers(1, false);

    const done = (await w.waitStatus(t.key, id, ['completed', 'completed_with_errors', 'failed'], 150_000)) as { status: string };
    expect(done.status).toBe('completed');
    const [action] = await w.sql<{ chunks_planned: number; chunks_total: number; total: string }[]>`
      select chunks_planned, chunks_total, total from bulk_actions where id = ${id}`;
    expect(action).toEqual({ chunks_planned: 100, chunks_total: 100, total: String(CONTACTS) });

    // the ledger: chunk numbers 0..99 once each, every contact in exactly one chunk, applied once
    const [ledger] = await w.sql<{ chunks: number; min: number; max: number; size: number; ids: number; distinct_ids: number; succeeded: number }[]>`
      select count(*)::int as chunks, min(chunk_no) as min, max(chunk_no) as max, sum(size)::int as size, sum(succeeded)::int as succeeded,
             (select count(*)::int from bulk_chunks b, jsonb_array_elements(b.results) r where b.bulk_action_id = ${id}) as ids,
             (select count(distinct r->>0)::int from bulk_chunks b, jsonb_array_elements(b.results) r where b.bulk_action_id = ${id}) as distinct_ids
      from bulk_chunks where bulk_action_id = ${id}`;
    expect(ledger).toEqual({ chunks: 100, min: 0, max: 99, size: CONTACTS, ids: CONTACTS, distinct_ids: CONTACTS, succeeded: CONTACTS });
    const [truth] = await w.sql<{ v2: number; other: number }[]>`
      select count(*) filter (where version = 2 and title = 'after takeover')::int as v2, count(*) filter (where version <> 2)::int as other
      from contacts where tenant_id = ${t.id}`;
    expect(truth).toEqual({ v2: CONTACTS, other: 0 });
    const stats = (await (await w.call('GET', `/v1/bulk-actions/${id}/stats`, t.key)).json()) as Record<string, unknown>;
    expect(stats).toMatchObject({ total: CONTACTS, succeeded: CONTACTS, failed: 0, skipped: 0, percent: 100 });

    // The topic: chunks 20-39 twice (the dead planner's unsaved send, then the takeover from the saved cursor), with
    // the same ids both times; every other chunk once. The ledger turned the doubles into one application each.
    const messages = await chunkMessages(id, 120);
    expect(messages).toHaveLength(120);
    const byNo = new Map<number, string[][]>();
    for (const m of messages) byNo.set(m.chunk_no, [...(byNo.get(m.chunk_no) ?? []), m.entity_ids]);
    expect([...byNo.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const doubled = [...byNo].filter(([, copies]) => copies.length > 1).map(([no]) => no).sort((a, b) => a - b);
    expect(doubled).toEqual(Array.from({ length: 20 }, (_, i) => 20 + i));
    for (const no of doubled) expect(byNo.get(no)![1]).toEqual(byNo.get(no)![0]);

    const outcomes = await w.readOutcomes(CONTACTS, 60_000, id);
    expect(new Set(outcomes.map((o) => o.outcome_id)).size).toBe(CONTACTS);
    expect(new Set(outcomes.map((o) => o.entity_id)).size).toBe(CONTACTS);
  }, 240_000);
});
