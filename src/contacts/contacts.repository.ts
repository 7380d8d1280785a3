// Contacts in Postgres, always inside a tenant transaction (inTenant): every statement filters by tenant_id, and
// app.tenant_id is set for the row-level security policies of 033 (the second wall).
// Outcomes of writes are values (ok | not_found | stale | duplicate_email | ...), not exceptions; a refusal is recorded
// as a 'rejected' Outcome in the outbox, in the same transaction as the decision.
import type { Sql, TransactionSql } from '../infra/postgres.ts';
import type { ListQuery } from './contacts.query.ts';
import { DEFAULTS, WRITABLE, type ContactRow, type Writable } from './contacts.schema.ts';
import { recordApiRefusal, recordApiWrite, type ApiOp } from './outbox.repository.ts';

export interface TenantDb {
  /** Runs fn in a transaction bound to one tenant. */
  inTenant<T>(tenantId: string, fn: (tx: TransactionSql) => Promise<T>): Promise<T>;
}

/** rlsRole: the non-owner role the API's transactions switch to (033), so RLS policies apply to them. */
export function createTenantDb(sql: Sql, options: { rlsRole?: string } = {}): TenantDb {
  return {
    inTenant<T>(tenantId: string, fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
      return sql.begin(async (tx) => {
        // one round trip; both settings end with the transaction (is_local = true), so pooled connections come back clean
        if (options.rlsRole) await tx`select set_config('app.tenant_id', ${tenantId}, true), set_config('role', ${options.rlsRole}, true) -- contacts.tenant`;
        else await tx`select set_config('app.tenant_id', ${tenantId}, true) -- contacts.tenant`;
        return fn(tx);
      }) as Promise<T>;
    },
  };
}

const COLUMNS = 'tenant_id, id, version, created_at, updated_at, deleted_at, first_name, last_name, email, phone, company, title, country, owner_id, status, tags, lead_id, metadata';

export async function getContact(tx: TransactionSql, tenantId: string, id: string, { forUpdate = false } = {}): Promise<ContactRow | undefined> {
  const [row] = forUpdate
    ? await tx<ContactRow[]>`select ${tx.unsafe(COLUMNS)} from contacts where tenant_id = ${tenantId} and id = ${id} for update -- contacts.getForUpdate`
    : await tx<ContactRow[]>`select ${tx.unsafe(COLUMNS)} from contacts where tenant_id = ${tenantId} and id = ${id} -- contacts.get`;
  return row;
}

/**
 * The live contact of the tenant with this email, under a transaction-scoped advisory lock on (tenant, email):
 * two API writes of the same email serialise here, so the second sees the first's row (race-safe 409).
 */
async function claimEmail(tx: TransactionSql, tenantId: string, email: string, exceptId?: string): Promise<string | undefined> {
  await tx`select pg_advisory_xact_lock(hashtextextended(${tenantId + '\u001f' + email}, 0)) -- contacts.emailLock`;
  const [row] = await tx<{ id: string }[]>`
    select id from contacts where tenant_id = ${tenantId} and email = ${email} and deleted_at is null
      and id is distinct from ${exceptId ?? null} order by created_at limit 1 -- contacts.emailOwner`;
  return row?.id;
}

export type WriteResult =
  | { ok: true; row: ContactRow; requestId: string }
  | { ok: false; reason: 'not_found' | 'deleted' | 'not_deleted' }
  | { ok: false; reason: 'stale'; currentVersion: number }
  | { ok: false; reason: 'duplicate_email'; existingId: string };

interface WriteContext {
  tenantId: string;
  receivedAt: number;
}

async function refused(tx: TransactionSql, ctx: WriteContext, op: ApiOp, entityId: string, result: Exclude<WriteResult, { ok: true }>): Promise<WriteResult> {
  const currentVersion = result.reason === 'stale' ? result.currentVersion : undefined;
  await recordApiRefusal(tx, { tenantId: ctx.tenantId, op, entityId, reason: result.reason, currentVersion, receivedAt: ctx.receivedAt });
  return result;
}

async function committed(tx: TransactionSql, ctx: WriteContext, op: ApiOp, row: ContactRow): Promise<WriteResult> {
  const requestId = await recordApiWrite(tx, { tenantId: ctx.tenantId, op, row, receivedAt: ctx.receivedAt });
  return { ok: true, row, requestId };
}

export async function insertContact(tx: TransactionSql, ctx: WriteContext, id: string, values: Partial<Record<Writable, unknown>>): Promise<WriteResult> {
  const v = { ...DEFAULTS, ...values };
  if (typeof v.email === 'string') {
    const existingId = await claimEmail(tx, ctx.tenantId, v.email);
    if (existingId) return refused(tx, ctx, 'create', existingId, { ok: false, reason: 'duplicate_email', existingId });
  }
  const [row] = await tx<ContactRow[]>`
    insert into contacts (tenant_id, id, last_occurred_at, first_name, last_name, email, phone, company, title, country, owner_id, status, tags, metadata)
    values (${ctx.tenantId}, ${id}, now(), ${v.first_name as string}, ${v.last_name as string}, ${v.email as string}, ${v.phone as string},
            ${v.company as string}, ${v.title as string}, ${v.country as string}, ${v.owner_id as string}, ${v.status as string},
            ${tx.array(v.tags as string[])}, ${tx.json(v.metadata as Record<string, never>)})
    on conflict (tenant_id, id) do nothing
    returning ${tx.unsafe(COLUMNS)} -- contacts.insert`;
  if (!row) return { ok: false, reason: 'duplicate_email', existingId: id }; // an id collision cannot happen with uuid v7; kept total
  return committed(tx, ctx, 'create', row);
}

/** Checks existence, the deleted state and the expected version (If-Match or body version) under a row lock. */
async function lockForWrite(tx: TransactionSql, ctx: WriteContext, id: string, expectedVersion: number | undefined, wantDeleted: boolean) {
  const row = await getContact(tx, ctx.tenantId, id, { forUpdate: true });
  if (!row) return { ok: false as const, reason: 'not_found' as const };
  if (expectedVersion !== undefined && Number(row.version) !== expectedVersion) return { ok: false as const, reason: 'stale' as const, currentVersion: Number(row.version) };
  if (!wantDeleted && row.deleted_at) return { ok: false as const, reason: 'deleted' as const };
  if (wantDeleted && !row.deleted_at) return { ok: false as const, reason: 'not_deleted' as const };
  return { ok: true as const, row };
}

/** PUT (every writable column, defaults for the missing) or PATCH (only the given columns). */
export async function updateContact(
  tx: TransactionSql,
  ctx: WriteContext,
  id: string,
  op: 'replace' | 'patch',
  values: Partial<Record<Writable, unknown>>,
  expectedVersion?: number,
): Promise<WriteResult> {
  const locked = await lockForWrite(tx, ctx, id, expectedVersion, false);
  if (!locked.ok) return refused(tx, ctx, op, id, locked);
  const v: Partial<Record<Writable, unknown>> = op === 'replace' ? { ...DEFAULTS, ...values } : values;
  if (typeof v.email === 'string' && v.email !== locked.row.email) {
    const existingId = await claimEmail(tx, ctx.tenantId, v.email, id);
    if (existingId) return refused(tx, ctx, op, id, { ok: false, reason: 'duplicate_email', existingId });
  }
  const set: Record<string, unknown> = {};
  for (const k of WRITABLE) if (k in v) set[k] = k === 'metadata' ? tx.json(v[k] as Record<string, never>) : v[k];
  const cols = Object.keys(set);
  const bump = tx`version = version + 1, updated_at = now(), last_occurred_at = greatest(last_occurred_at, now())`;
  const [row] = cols.length
    ? await tx<ContactRow[]>`
        update contacts set ${tx(set, ...cols)}, ${bump} where tenant_id = ${ctx.tenantId} and id = ${id}
        returning ${tx.unsafe(COLUMNS)} -- contacts.update`
    : await tx<ContactRow[]>`
        update contacts set ${bump} where tenant_id = ${ctx.tenantId} and id = ${id}
        returning ${tx.unsafe(COLUMNS)} -- contacts.touch`;
  return committed(tx, ctx, op, row!);
}

export async function setDeleted(tx: TransactionSql, ctx: WriteContext, id: string, deleted: boolean, expectedVersion?: number): Promise<WriteResult> {
  const op = deleted ? 'delete' : 'restore';
  const locked = await lockForWrite(tx, ctx, id, expectedVersion, !deleted);
  if (!locked.ok) return refused(tx, ctx, op, id, locked);
  if (!deleted && locked.row.email) {
    const existingId = await claimEmail(tx, ctx.tenantId, locked.row.email, id);
    if (existingId) return refused(tx, ctx, op, id, { ok: false, reason: 'duplicate_email', existingId });
  }
  const [row] = await tx<ContactRow[]>`
    update contacts set deleted_at = ${deleted ? tx`now()` : null}, version = version + 1, updated_at = now(),
      last_occurred_at = greatest(last_occurred_at, now())
    where tenant_id = ${ctx.tenantId} and id = ${id}
    returning ${tx.unsafe(COLUMNS)} -- contacts.setDeleted`;
  return committed(tx, ctx, op, row!);
}

const SEARCH_TEXT = 'contacts_search_text(first_name, last_name, email, company)';
const SORT_EXPR: Record<ListQuery['sort']['field'], { expr: string; cast: string }> = {
  created_at: { expr: 'created_at', cast: 'timestamptz' },
  updated_at: { expr: 'updated_at', cast: 'timestamptz' },
  email: { expr: "coalesce(email, '')", cast: 'text' },
  last_name: { expr: "coalesce(last_name, '')", cast: 'text' },
  company: { expr: "coalesce(company, '')", cast: 'text' },
};

/** One page of contacts and the sort key of each row (for the next cursor). Field names come only from allow-lists. */
export async function listContacts(tx: TransactionSql, tenantId: string, q: ListQuery): Promise<(ContactRow & { sort_key: string })[]> {
  const f = q.filters;
  const conds = [tx`tenant_id = ${tenantId}`];
  if (q.deleted === 'exclude') conds.push(tx`deleted_at is null`);
  if (q.deleted === 'only') conds.push(tx`deleted_at is not null`);
  if (f.email !== undefined) conds.push(tx`email = ${f.email}`);
  if (f.status !== undefined) conds.push(tx`status = ${f.status}`);
  if (f.owner_id !== undefined) conds.push(tx`owner_id = ${f.owner_id}`);
  if (f.country !== undefined) conds.push(tx`country = ${f.country}`);
  if (f.company !== undefined) conds.push(tx`lower(company) = lower(${f.company})`);
  if (f.tag !== undefined) conds.push(tx`tags @> ${tx.array([f.tag])}`);
  if (f.created_after !== undefined) conds.push(tx`created_at > ${f.created_after}::text::timestamptz`);
  if (f.created_before !== undefined) conds.push(tx`created_at < ${f.created_before}::text::timestamptz`);
  if (f.updated_after !== undefined) conds.push(tx`updated_at > ${f.updated_after}::text::timestamptz`);
  if (f.updated_before !== undefined) conds.push(tx`updated_at < ${f.updated_before}::text::timestamptz`);
  if (q.q !== undefined) {
    const like = `%${q.q.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`;
    conds.push(tx`(to_tsvector('simple'::regconfig, ${tx.unsafe(SEARCH_TEXT)}) @@ websearch_to_tsquery('simple'::regconfig, ${q.q})
      or ${tx.unsafe(SEARCH_TEXT)} ilike ${like} or ${q.q} <% ${tx.unsafe(SEARCH_TEXT)})`);
  }
  const sort = SORT_EXPR[q.sort.field]; // values bind as text and cast in SQL: postgres.js would round timestamps to ms
  const dir = tx.unsafe(q.sort.dir);
  if (q.cursor) {
    const cmp = tx.unsafe(q.sort.dir === 'asc' ? '>' : '<');
    conds.push(tx`(${tx.unsafe(sort.expr)}, id) ${cmp} (${q.cursor.v}::text::${tx.unsafe(sort.cast)}, ${q.cursor.id})`);
  }
  const where = conds.reduce((a, b) => tx`${a} and ${b}`);
  return tx<(ContactRow & { sort_key: string })[]>`
    select ${tx.unsafe(COLUMNS)}, (${tx.unsafe(sort.expr)})::text as sort_key from contacts
    where ${where}
    order by ${tx.unsafe(sort.expr)} ${dir}, id ${dir}
    limit ${q.limit + 1} -- contacts.list`;
}
