// Bulk-action rows in Postgres: create (idempotent per tenant and key), read, list, cancel, ledger totals, errors.
// Every query is scoped by tenant_id.
import type { Sql } from '../infra/postgres.ts';

export const FINAL_STATUSES = ['completed', 'completed_with_errors', 'failed', 'cancelled'] as const;
export const STATUSES = ['queued', 'scheduled', 'planning', 'running', ...FINAL_STATUSES] as const;

export interface BulkActionRow {
  id: string;
  tenant_id: string;
  idempotency_key: string | null;
  entity: string;
  action: string;
  target: Record<string, unknown>;
  payload: Record<string, unknown>;
  status: string;
  scheduled_at: Date | null;
  rate_limit_per_sec: number | null;
  reverts_id: string | null;
  chunk_size: number;
  total: string | null;
  chunks_planned: number;
  chunks_total: number | null;
  error: string | null;
  created_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  cancelled_at: Date | null;
}

export interface NewAction {
  id: string;
  tenantId: string;
  idempotencyKey: string | null;
  action: string;
  target: Record<string, unknown>;
  payload: Record<string, unknown>;
  status: 'queued' | 'scheduled';
  scheduledAt: Date | null;
  rateLimitPerSec: number | null;
  revertsId: string | null;
  chunkSize: number;
  createdBy: string;
}

const TARGET_BATCH = 10_000; // ids per insert statement: ~400 KB of parameters

/** Inserts the action (and its explicit ids) in one transaction; an existing idempotency key returns the earlier action. */
export async function createAction(sql: Sql, a: NewAction, ids?: { ids: string[]; rows: number[] }): Promise<{ row: BulkActionRow; created: boolean }> {
  return sql.begin(async (tx) => {
    const [row] = await tx<BulkActionRow[]>`
      insert into bulk_actions (id, tenant_id, idempotency_key, action, target, payload, status, scheduled_at, rate_limit_per_sec, reverts_id, chunk_size, created_by)
      values (${a.id}, ${a.tenantId}, ${a.idempotencyKey}, ${a.action}, ${tx.json(a.target as never)}, ${tx.json(a.payload as never)},
              ${a.status}, ${a.scheduledAt}, ${a.rateLimitPerSec}, ${a.revertsId}, ${a.chunkSize}, ${a.createdBy})
      on conflict (tenant_id, idempotency_key) where idempotency_key is not null do nothing
      returning * -- bulk.createAction`;
    if (!row) {
      const [existing] = await tx<BulkActionRow[]>`
        select * from bulk_actions where tenant_id = ${a.tenantId} and idempotency_key = ${a.idempotencyKey} -- bulk.byIdempotencyKey`;
      return { row: existing!, created: false };
    }
    if (ids) {
      for (let i = 0; i < ids.ids.length; i += TARGET_BATCH) {
        await tx`
          insert into bulk_action_targets (bulk_action_id, row_no, entity_id)
          select ${a.id}, r, e from unnest(${ids.rows.slice(i, i + TARGET_BATCH)}::bigint[], ${ids.ids.slice(i, i + TARGET_BATCH)}::text[]) as t(r, e)
          -- bulk.insertTargets`;
      }
    }
    return { row, created: true };
  });
}

export async function getAction(sql: Sql, tenantId: string, id: string): Promise<BulkActionRow | undefined> {
  const [row] = await sql<BulkActionRow[]>`select * from bulk_actions where tenant_id = ${tenantId} and id = ${id} -- bulk.getAction`;
  return row;
}

export async function listActions(sql: Sql, tenantId: string, q: { status?: string; limit: number; before?: string }): Promise<BulkActionRow[]> {
  return sql<BulkActionRow[]>`
    select * from bulk_actions where tenant_id = ${tenantId}
      ${q.status ? sql`and status = ${q.status}` : sql``}
      ${q.before ? sql`and id < ${q.before}` : sql``}
    order by id desc limit ${q.limit} -- bulk.listActions`;
}

/** Cancels an unfinished action: the planner stops planning, executors skip its remaining chunks. */
export async function cancelAction(sql: Sql, tenantId: string, id: string): Promise<BulkActionRow | undefined> {
  const [row] = await sql<BulkActionRow[]>`
    update bulk_actions set status = 'cancelled', cancelled_at = now(), finished_at = now(), updated_at = now()
    where tenant_id = ${tenantId} and id = ${id} and status not in ${sql(FINAL_STATUSES)}
    returning * -- bulk.cancel`;
  return row;
}

export interface LedgerTotals {
  chunks: number;
  succeeded: number;
  failed: number;
  skipped: number;
  first_applied_at: Date | null;
  last_applied_at: Date | null;
  max_duration_ms: number | null;
}

/** Exact counts from the chunk ledger (the truth: written in the same transactions as the contact updates). */
export async function ledgerTotals(sql: Sql, tenantId: string, id: string): Promise<LedgerTotals> {
  const [row] = await sql<LedgerTotals[]>`
    select count(*)::int as chunks, coalesce(sum(succeeded), 0)::int as succeeded, coalesce(sum(failed), 0)::int as failed,
           coalesce(sum(skipped), 0)::int as skipped, min(applied_at) as first_applied_at, max(applied_at) as last_applied_at,
           max(duration_ms) as max_duration_ms
    from bulk_chunks where bulk_action_id = ${id} and tenant_id = ${tenantId} -- bulk.ledgerTotals`;
  return row!;
}

/** Failed contacts with their reasons and input rows, in chunk order. */
export async function failedContacts(sql: Sql, tenantId: string, id: string, limit: number) {
  return sql<{ contact_id: string; reason: string; row_no: number | null; chunk_no: number }[]>`
    select r->>0 as contact_id, r->>2 as reason, (r->>4)::bigint as row_no, b.chunk_no
    from bulk_chunks b cross join lateral jsonb_array_elements(b.results) r
    where b.bulk_action_id = ${id} and b.tenant_id = ${tenantId} and b.failed > 0 and r->>1 = 'failed'
    order by b.chunk_no limit ${limit} -- bulk.failedContacts`;
}

/** The public JSON shape of an action. */
export function actionJson(a: BulkActionRow) {
  return {
    id: a.id,
    entity: a.entity,
    action: a.action,
    status: a.status,
    target: a.target,
    payload: a.payload,
    scheduled_at: a.scheduled_at,
    rate_limit_per_sec: a.rate_limit_per_sec,
    reverts_id: a.reverts_id,
    chunk_size: a.chunk_size,
    total: a.total === null ? null : Number(a.total),
    chunks_planned: a.chunks_planned,
    chunks_total: a.chunks_total,
    error: a.error,
    created_at: a.created_at,
    started_at: a.started_at,
    finished_at: a.finished_at,
    cancelled_at: a.cancelled_at,
  };
}
