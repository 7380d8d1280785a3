// Batched entity writes: one statement per table per round, all rows of the round passed as text arrays through unnest.
// A round holds at most one event per entity (Postgres cannot touch one row twice in one statement), so a batch with
// three events for one lead takes three rounds, in order; most batches take one.
import { PREPARED, textArrayParam, type TransactionSql } from '../infra/postgres.ts';
import type { ColumnValue, EntityEffect, Row } from './effect.step.ts';
import type { EntityType } from './event.types.ts';

type PgType = 'text' | 'timestamptz' | 'jsonb' | 'numeric' | 'boolean' | 'inet' | 'date' | 'tags';
type Column = [name: string, type: PgType];

const text = (...names: string[]): Column[] => names.map((n) => [n, 'text']);
const KEY: Column[] = [['tenant_id', 'text'], ['id', 'text'], ['last_event_id', 'text'], ['last_occurred_at', 'timestamptz']];

export const TABLES: Record<EntityType, { table: string; columns: Column[]; insertDefaults: Record<string, string> }> = {
  lead: {
    table: 'leads',
    columns: [
      ...KEY, ...text('source', 'idempotency_key'), ['received_at', 'timestamptz'],
      ...text('first_name', 'last_name', 'email', 'phone', 'company', 'message', 'submission_type'), ['consent', 'boolean'],
      ...text('country', 'lang', 'click_id', 'offer', 'creo', 'domain', 'marker', 'description', 'sourcetype', 'status', 'assigned_to'),
      ['ip_address', 'inet'], ...text('user_agent', 'ua_browser', 'ua_os', 'ua_device', 'geo_country', 'geo_city'),
      ...text('utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term', 'contact_id', 'opportunity_id'),
      ['converted_at', 'timestamptz'], ['metadata', 'jsonb'],
    ],
    insertDefaults: { status: `'new'`, metadata: `'{}'` },
  },
  contact: {
    table: 'contacts',
    columns: [
      ...KEY, ...text('first_name', 'last_name', 'email', 'phone', 'company', 'title', 'country', 'owner_id', 'status'),
      ['tags', 'tags'], ['deleted_at', 'timestamptz'], ['metadata', 'jsonb'],
    ],
    insertDefaults: { status: `'active'`, tags: `'{}'`, metadata: `'{}'` },
  },
  opportunity: {
    table: 'opportunities',
    columns: [
      ...KEY, ...text('name', 'stage', 'status'), ['amount', 'numeric'], ...text('currency', 'contact_id', 'lead_id', 'close_reason'),
      ['expected_close_date', 'date'], ['closed_at', 'timestamptz'], ['metadata', 'jsonb'],
    ],
    insertDefaults: { status: `'open'`, metadata: `'{}'` },
  },
};

function cast(name: string, type: PgType): string {
  if (type === 'text') return `r.${name}`;
  if (type === 'tags') return `case when r.${name} is null then null else array(select jsonb_array_elements_text(r.${name}::jsonb)) end`;
  return `r.${name}::${type}`;
}

function updateExpr(name: string, type: PgType): string {
  if (name === 'last_event_id' || name === 'last_occurred_at') return `${name} = ${cast(name, type)}`;
  if (name === 'metadata') return `metadata = t.metadata || coalesce(r.metadata::jsonb, '{}')`;
  return `${name} = coalesce(${cast(name, type)}, t.${name})`;
}

const statements = new Map<string, string>();
const unnestRows = (columns: Column[]) => `unnest(${columns.map((_, i) => `$${i + 1}::text[]`).join(', ')}) as r(${columns.map(([n]) => n).join(', ')})`;

/**
 * The new rows, inserted; a row already there is left alone (and not returned): `updateStatement` then takes it.
 * Two statements, not one with an insert and an update CTE over the same rows: the update runs only for the rows that
 * were there (none, for a chunk of new entities: 1 000 new leads in 31.6 ms against 35.4,
 * bench/pipeline/statements.bench.ts), and it sees a row that a concurrent transaction inserted and committed while
 * this insert waited on it, which a CTE's one snapshot would not (the newer event was called stale and dropped).
 */
function insertStatement(entity: EntityType): string {
  const key = `${entity}.insert`;
  let q = statements.get(key);
  if (q) return q;
  const { table, columns, insertDefaults } = TABLES[entity];
  q = `
    insert into ${table} (${columns.map(([n]) => n).join(', ')})
    select ${columns.map(([n, t]) => (insertDefaults[n] ? `coalesce(${cast(n, t)}, ${insertDefaults[n]})` : cast(n, t))).join(', ')}
    from ${unnestRows(columns)}
    on conflict (tenant_id, id) do nothing
    returning tenant_id, id, version, row_to_json(${table}.*)::text as entity -- pipeline.apply.${table}`;
  statements.set(key, q);
  return q;
}

/** The existing rows, updated only when this event is newer than the last applied one (else not returned: stale). */
function updateStatement(entity: EntityType): string {
  const key = `${entity}.update`;
  let q = statements.get(key);
  if (q) return q;
  const { table, columns } = TABLES[entity];
  const data = columns.filter(([n]) => n !== 'tenant_id' && n !== 'id');
  q = `
    update ${table} t set ${data.map(([n, ty]) => updateExpr(n, ty)).join(', ')}, version = t.version + 1, updated_at = now()
    from ${unnestRows(columns)}
    where t.tenant_id = r.tenant_id and t.id = r.id
      and (t.last_occurred_at is null
           or (t.last_occurred_at, coalesce(t.last_event_id, '')) < (r.last_occurred_at::timestamptz, r.last_event_id))
    returning t.tenant_id, t.id, t.version, row_to_json(t.*)::text as entity -- pipeline.apply.${table}.update`;
  statements.set(key, q);
  return q;
}

function toText(v: ColumnValue | undefined): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

export interface EffectResult {
  applied: boolean;
  version: number | null;
  /** the row after the change, as JSON (UTF-8 bytes): it goes into the change record as is, never parsed here */
  entity: Buffer | null;
}

type Returned = { tenant_id: string; id: string; version: string | number; entity: Buffer };
/** RETURNING tenant_id, id, version, entity, read raw: the entity's JSON stays the bytes Postgres sent */
async function returned(tx: TransactionSql, statement: string, params: unknown[]): Promise<Returned[]> {
  const rows = (await tx.unsafe(statement, params as never, PREPARED).raw()) as unknown as Buffer[][];
  return rows.map((r) => ({ tenant_id: r[0]!.toString(), id: r[1]!.toString(), version: r[2]!.toString(), entity: r[3]! }));
}

type ColumnsOf = (rows: Row[]) => (string | null)[][];
const columnExtractors = new Map<EntityType, ColumnsOf>();
/**
 * A table's columns out of a round's rows, one array per column, in one pass. Generated per table so that each column
 * is a load by a constant name: `row[name]` with the name in a variable is one megamorphic load site for all 40-odd
 * columns (~2.5 µs an event, profiled). The names are this file's own constants.
 */
function columnsOf(entity: EntityType): ColumnsOf {
  let extract = columnExtractors.get(entity);
  if (extract) return extract;
  const names = TABLES[entity].columns.map(([n]) => n);
  const body = `
    const n = rows.length;
    ${names.map((_, c) => `const c${c} = new Array(n);`).join('\n')}
    for (let i = 0; i < n; i++) {
      const r = rows[i];
      ${names.map((name, c) => `c${c}[i] = toText(r[${JSON.stringify(name)}]);`).join('\n')}
    }
    return [${names.map((_, c) => `c${c}`).join(', ')}];`;
  extract = new Function('toText', `return (rows) => {${body}}`)(toText) as ColumnsOf; // body: TABLES names only, never input
  columnExtractors.set(entity, extract);
  return extract;
}

/** Applies effects (in order per entity); returns, per effect, whether it applied (false = stale) and the row after it. */
export async function applyEffects(tx: TransactionSql, effects: EntityEffect[]): Promise<EffectResult[]> {
  const results: EffectResult[] = new Array<EffectResult>(effects.length);
  // round k = the k-th effect of each entity, so one statement never touches a row twice
  const rounds: number[][] = [];
  const seen = new Map<string, number>();
  effects.forEach((e, i) => {
    const key = `${e.entity}\u001f${String(e.row.tenant_id)}\u001f${e.entityId}`;
    const k = seen.get(key) ?? 0;
    seen.set(key, k + 1);
    (rounds[k] ??= []).push(i);
  });
  for (const round of rounds) {
    for (const entity of ['lead', 'contact', 'opportunity'] as const) {
      const idx = round.filter((i) => effects[i]!.entity === entity);
      if (idx.length === 0) continue;
      const rowsOf = (of: number[]) => columnsOf(entity)(of.map((i) => effects[i]!.row)).map((column) => textArrayParam(tx, column));
      const keyOf = (i: number) => `${String(effects[i]!.row.tenant_id)}\u001f${effects[i]!.entityId}`;
      const byKey = new Map<string, Returned>();
      for (const r of await returned(tx, insertStatement(entity), rowsOf(idx))) byKey.set(`${r.tenant_id}\u001f${r.id}`, r);
      const existing = byKey.size === idx.length ? [] : idx.filter((i) => !byKey.has(keyOf(i)));
      if (existing.length > 0) {
        for (const r of await returned(tx, updateStatement(entity), rowsOf(existing))) byKey.set(`${r.tenant_id}\u001f${r.id}`, r);
      }
      for (const i of idx) {
        const r = byKey.get(keyOf(i));
        results[i] = r ? { applied: true, version: Number(r.version), entity: r.entity } : { applied: false, version: null, entity: null };
      }
    }
  }
  return results;
}

export interface Link {
  tenantId: string;
  leadId: string;
  contactId: string | null;
  opportunityId: string | null;
  eventId: string;
}

export interface LinkedRow {
  entity: 'contact' | 'opportunity';
  tenantId: string;
  id: string;
  version: number;
  /** the row after the change, as JSON text */
  row: string;
  eventId: string;
}

/** lead.converted: the contact and the opportunity point back to the lead (a version bump each, when it changes them). */
export async function linkConversions(tx: TransactionSql, links: Link[]): Promise<LinkedRow[]> {
  if (links.length === 0) return [];
  const cols = [links.map((l) => l.tenantId), links.map((l) => l.leadId), links.map((l) => l.contactId), links.map((l) => l.opportunityId), links.map((l) => l.eventId)].map((c) => textArrayParam(tx, c));
  const rows = await tx.unsafe<{ entity: 'contact' | 'opportunity'; tenant_id: string; id: string; version: string; row: string; event_id: string }[]>(
    `with r as (select * from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) as r(tenant_id, lead_id, contact_id, opportunity_id, event_id)),
     c as (
       update contacts t set lead_id = r.lead_id, version = t.version + 1, updated_at = now() from r
       where t.tenant_id = r.tenant_id and t.id = r.contact_id and t.lead_id is distinct from r.lead_id
       returning 'contact' as entity, t.tenant_id, t.id, t.version, row_to_json(t.*)::text as row, r.event_id
     ),
     o as (
       update opportunities t set lead_id = r.lead_id, contact_id = coalesce(t.contact_id, r.contact_id), version = t.version + 1, updated_at = now() from r
       where t.tenant_id = r.tenant_id and t.id = r.opportunity_id and t.lead_id is distinct from r.lead_id
       returning 'opportunity' as entity, t.tenant_id, t.id, t.version, row_to_json(t.*)::text as row, r.event_id
     )
     select * from c union all select * from o -- pipeline.apply.link-conversions`,
    cols as never,
    PREPARED,
  );
  return rows.map((r) => ({ entity: r.entity, tenantId: r.tenant_id, id: r.id, version: Number(r.version), row: r.row, eventId: r.event_id }));
}
