// The planner: claims queued and due scheduled actions (FOR UPDATE SKIP LOCKED, so several bulk processes can run
// one each), snapshots the target set with keyset pagination into chunks on crm.bulk.chunks, and finalizes
// actions whose every chunk is in the ledger. All state is in Postgres: a planner that dies mid-plan leaves a
// lease that expires, and the next planner resumes from plan_cursor (chunk numbers are stable, the ledger dedups).
import type { Kafka, Producer } from 'kafkajs';
import type { Config } from '../config.ts';
import { topicName } from '../infra/kafka.ts';
import type { Logger } from '../infra/logger.ts';
import type { Sql } from '../infra/postgres.ts';
import { encode } from '../schemas/avro.codec.ts';
import type { SchemaRegistry } from '../schemas/registry.client.ts';
import { readSchema, schemaType, subjectFor } from '../schemas/schema-files.ts';
import { compileFilter, deletedCondition } from './filter.compile.ts';

export interface ActionRow {
  id: string;
  tenant_id: string;
  action: string;
  target: { filter?: unknown; ids?: number; csv?: unknown; revert_of?: string };
  payload: Record<string, unknown>;
  chunk_size: number;
  chunks_planned: number;
  plan_cursor: string | null;
  reverts_id: string | null;
}

/** A plan that can never succeed (its stored target is unusable): the action fails instead of being retried. */
export class PlanError extends Error {}

const PAGES_PER_SEND = 20; // chunks per produce round trip and per cursor save
const LEASE = '30 seconds'; // a planner that stops renewing for this long is presumed dead

export interface Page {
  ids: string[];
  rows: number[];
  cursor: string;
  payload?: Record<string, unknown>;
}

/** The next page of the target set after `cursor`, or undefined when the set is exhausted. */
export async function nextPage(sql: Sql, a: ActionRow, cursor: string | null): Promise<Page | undefined> {
  if (a.target.filter !== undefined) {
    const compiled = compileFilter(a.target.filter, 4);
    if (!compiled.ok) throw new PlanError(`stored filter no longer compiles: ${compiled.errors.join('; ')}`);
    const rows = await sql.unsafe<{ id: string }[]>(
      `select c.id from contacts c where c.tenant_id = $1 and c.id > $2 and ${deletedCondition(a.action, compiled.filter)}
       and ${compiled.filter.text} order by c.id limit $3 -- bulk.planFilterPage`,
      [a.tenant_id, cursor ?? '', a.chunk_size, ...(compiled.filter.params as never[])],
    );
    if (!rows.length) return undefined;
    return { ids: rows.map((r) => r.id), rows: [], cursor: rows[rows.length - 1]!.id };
  }
  if (a.reverts_id) {
    const [src] = await sql<{ chunk_no: number; ids: string[] }[]>`
      select chunk_no, array(select jsonb_array_elements(before_images)->>'id') as ids from bulk_chunks
      where bulk_action_id = ${a.reverts_id} and chunk_no > ${Number(cursor ?? -1)} and jsonb_array_length(before_images) > 0
      order by chunk_no limit 1 -- bulk.planRevertPage`;
    if (!src) return undefined;
    return { ids: src.ids, rows: [], cursor: String(src.chunk_no), payload: { reverts_id: a.reverts_id, source_chunk_no: src.chunk_no } };
  }
  const rows = await sql<{ row_no: string; entity_id: string }[]>`
    select row_no, entity_id from bulk_action_targets where bulk_action_id = ${a.id} and row_no > ${Number(cursor ?? 0)}
    order by row_no limit ${a.chunk_size} -- bulk.planTargetPage`;
  if (!rows.length) return undefined;
  return { ids: rows.map((r) => r.entity_id), rows: rows.map((r) => Number(r.row_no)), cursor: rows[rows.length - 1]!.row_no };
}

export function createBulkPlanner(deps: {
  cfg: Pick<Config, 'KAFKA_TOPIC_PREFIX' | 'BULK_PLANNER_INTERVAL_MS' | 'BULK_TEST_FAULT'>;
  sql: Sql;
  kafka: Kafka;
  registry: SchemaRegistry;
  logger: Logger;
}) {
  const { cfg, sql, kafka, registry } = deps;
  const log = deps.logger.child({ module: 'bulk.planner' });
  const topic = topicName(cfg, 'crm.bulk.chunks');
  const chunkType = schemaType('bulk-chunk');
  let producer: Producer | undefined;
  let schemaId = 0;
  let running = false;
  let loop: Promise<void> | undefined;
  let sends = 0;
  const killAtSend = cfg.BULK_TEST_FAULT?.startsWith('kill_in_plan:') ? Number(cfg.BULK_TEST_FAULT.split(':')[1]) : 0;

  /** Marks running actions whose every planned chunk is in the ledger as finished. */
  async function finalize(): Promise<number> {
    const rows = await sql`
      update bulk_actions a set
        status = case when l.failed > 0 and l.succeeded = 0 then 'failed' when l.failed > 0 then 'completed_with_errors' else 'completed' end,
        finished_at = coalesce(l.last, now()), updated_at = now()
      from (select b.bulk_action_id, count(*) as n, sum(b.succeeded) as succeeded, sum(b.failed) as failed, max(b.applied_at) as last
            from bulk_chunks b join bulk_actions x on x.id = b.bulk_action_id
            where x.status = 'running' and x.chunks_total is not null group by b.bulk_action_id) l
      where a.id = l.bulk_action_id and a.status = 'running' and l.n >= a.chunks_total
      returning a.id -- bulk.finalize`;
    return rows.length;
  }

  async function claim(): Promise<ActionRow | undefined> {
    const [row] = await sql<ActionRow[]>`
      update bulk_actions set
        status = case when status in ('queued', 'scheduled') then 'planning' else status end,
        started_at = coalesce(started_at, now()), planner_lease_until = now() + ${LEASE}::interval, updated_at = now()
      where id = (
        select id from bulk_actions
        where status = 'queued' or (status = 'scheduled' and scheduled_at <= now())
           or (status in ('planning', 'running') and chunks_total is null and planner_lease_until < now())
        order by created_at for update skip locked limit 1)
      returning id, tenant_id, action, target, payload, chunk_size, chunks_planned, plan_cursor, reverts_id -- bulk.claim`;
    return row;
  }

  async function plan(a: ActionRow): Promise<void> {
    let cursor = a.plan_cursor;
    let chunkNo = a.chunks_planned;
    for (;;) {
      const batch: Page[] = [];
      for (let i = 0; i < PAGES_PER_SEND; i++) {
        const page = await nextPage(sql, a, cursor);
        if (!page) break;
        batch.push(page);
        cursor = page.cursor;
      }
      if (batch.length) {
        const now = Date.now();
        await producer!.send({
          topic,
          acks: -1,
          messages: batch.map((p, i) => ({
            key: `${a.id}:${chunkNo + i}`, // spread one action's chunks over every partition, hence every executor
            value: encode(chunkType, schemaId, {
              bulk_action_id: a.id,
              tenant_id: a.tenant_id,
              chunk_no: chunkNo + i,
              action: a.action,
              entity_ids: p.ids,
              row_numbers: p.rows,
              payload_json: JSON.stringify(p.payload ?? a.payload),
              planned_at: now,
            }),
          })),
        });
        // tests only: die between a produce and its cursor save, the worst moment for the planner that takes over
        if (++sends === killAtSend) process.kill(process.pid, 'SIGKILL');
      }
      chunkNo += batch.length;
      const size = batch.reduce((n, p) => n + p.ids.length, 0);
      const done = batch.length < PAGES_PER_SEND;
      const [still] = await sql<{ status: string }[]>`
        update bulk_actions set plan_cursor = ${cursor}, chunks_planned = ${chunkNo}, total = coalesce(total, 0) + ${size},
          status = case when ${done} and ${chunkNo} = 0 then 'completed' when status = 'planning' then 'running' else status end,
          finished_at = case when ${done} and ${chunkNo} = 0 then now() else finished_at end,
          chunks_total = case when ${done} then ${chunkNo}::int else null end,
          planner_lease_until = now() + ${LEASE}::interval, updated_at = now()
        where id = ${a.id} and status in ('planning', 'running')
        returning status -- bulk.planProgress`;
      if (!still) {
        log.info({ bulk_action_id: a.id, tenant_id: a.tenant_id, chunks: chunkNo }, 'bulk action cancelled during planning');
        return;
      }
      if (done) {
        log.info({ bulk_action_id: a.id, tenant_id: a.tenant_id, chunks: chunkNo }, 'bulk action planned');
        return;
      }
    }
  }

  async function tick(): Promise<void> {
    await finalize();
    for (let a = await claim(); a && running; a = await claim()) {
      try {
        await plan(a);
      } catch (err) {
        if (err instanceof PlanError) {
          await sql`update bulk_actions set status = 'failed', error = ${err.message}, finished_at = now(), updated_at = now() where id = ${a.id} -- bulk.planFailed`;
          log.error({ err, bulk_action_id: a.id, tenant_id: a.tenant_id }, 'bulk action cannot be planned; marked failed');
          continue;
        }
        log.error({ err, bulk_action_id: a.id, tenant_id: a.tenant_id }, 'planning failed; another tick resumes after the lease');
        return;
      }
    }
  }

  return {
    tick,
    finalize,
    async start() {
      schemaId = await registry.register(subjectFor(topic), readSchema('bulk-chunk'));
      producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 }); // idempotent producer ordering
      await producer.connect();
      running = true;
      loop = (async () => {
        while (running) {
          try {
            await tick();
          } catch (err) {
            log.warn({ err }, 'planner tick failed; retrying');
          }
          await new Promise((r) => setTimeout(r, cfg.BULK_PLANNER_INTERVAL_MS));
        }
      })();
    },
    async stop() {
      running = false;
      await loop;
      await producer?.disconnect();
    },
  };
}
