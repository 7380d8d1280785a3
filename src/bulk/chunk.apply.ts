// Applies one chunk in ONE Postgres transaction: lock the rows, decide per contact, one batched UPDATE,
// and the ledger row in the same transaction, so a chunk is applied exactly once whatever is redelivered.
// A failing chunk is retried whole 3 times at a fixed 1 s (seed 004), then bisected with savepoints inside
// one transaction so a bad contact fails alone with its reason while the rest of the chunk commits.
import { isRetriablePgError, textArrayParam, useKeyedPlans, type Sql, type TransactionSql } from '../infra/postgres.ts';
import { DependencyUnavailableError } from '../infra/errors.ts';
import { decide, UPDATABLE_FIELDS, type Action, type BeforeImage, type ContactRow, type Decision, type Payload } from './actions.ts';

export interface ChunkInput {
  bulk_action_id: string;
  tenant_id: string;
  chunk_no: number;
  action: string;
  entity_ids: string[];
  row_numbers: number[];
  payload_json: string;
}

export type ContactStatus = 'succeeded' | 'failed' | 'skipped';
/** One contact's result as stored in the ledger: [id, status, reason, version after, input row]. */
export type ResultTuple = [string, ContactStatus, string | null, number | null, number | null];

export interface ChunkOutcome {
  kind: 'applied' | 'replayed' | 'cancelled';
  results: ResultTuple[];
  attempts: number;
  appliedAt: Date;
  durationMs: number;
  /** After-images of changed contacts (empty when replayed: the caller re-reads them). */
  entities: Map<string, Record<string, unknown>>;
}

export interface ApplyOptions {
  retryDelayMs?: number;
  retries?: number;
  /** Test-only fault hook, called inside the transaction after the UPDATE. */
  beforeCommit?: () => void;
  sleep?: (ms: number) => Promise<void>;
  /** The caller just found no ledger row for this chunk: skip that read (a race still ends in the 23505 path). */
  ledgerChecked?: boolean;
}

const TEXT_COLUMNS: readonly string[] = UPDATABLE_FIELDS;
const CAST: Record<string, string> = { tags: 'text[]', deleted_at: 'timestamptz' };

const SET_LINES = [
  ...UPDATABLE_FIELDS.map((f) => `${f} = case when v.s ? '${f}' then v.s->>'${f}' else c.${f} end`),
  `tags = case when v.s ? 'tags' then array(select jsonb_array_elements_text(v.s->'tags')) else c.tags end`,
  `deleted_at = case when v.s ? 'deleted_at' then (v.s->>'deleted_at')::timestamptz else c.deleted_at end`,
].join(',\n  ');

// Every statement finds the chunk's contacts by joining their keys, the tenant in each key: `tenant_id = $1 and
// id = any($2)` was planned, with stale statistics (a tenant loaded or deleted since the last analyze), as the pkey's
// range for the whole tenant with the ids as a filter, so each chunk read every contact of the tenant (40 ms a chunk
// at 300 000; EXPLAIN in test/bulk/keyed-plans.integration.test.ts). A constant tenant does not help: the planner then
// puts the tenant's scan outside a nested loop. Per-row keys plus useKeyedPlans give one pkey probe per contact.

// Per-contact values (tag, untag, revert): column names are the fixed allow-list above, values one jsonb parameter.
export const UPDATE_EACH_SQL = `update contacts c set
  ${SET_LINES},
  version = c.version + 1,
  updated_at = now()
from (select e->>'t' as tenant_id, e->>'id' as id, e->'s' as s from jsonb_array_elements($1::jsonb) e) v
where c.tenant_id = v.tenant_id and c.id = v.id
returning c.id, c.version, c.updated_at -- bulk.applyChunkEach`;

/** The shared-values update (update, assign_owner, delete, restore): `cols` from the allow-list, values from $3. */
export function updateSharedSql(cols: string[]): string {
  const sets = cols.map((k, i) => `${k} = $${i + 3}::${CAST[k] ?? 'text'}`);
  return `update contacts c set ${[...sets, 'version = c.version + 1', 'updated_at = now()'].join(', ')}
      from unnest($1::text[], $2::text[]) as k(tenant_id, id)
      where c.tenant_id = k.tenant_id and c.id = k.id returning c.id, c.version, c.updated_at -- bulk.applyChunkShared`;
}

/** $1, $2 of the keyed statements: the tenant repeated in each key, and the contact ids (binary text[] parameters). */
export function chunkKeys(tx: TransactionSql, tenantId: string, ids: string[]): unknown[] {
  return [textArrayParam(tx, ids.map(() => tenantId)), textArrayParam(tx, ids)];
}

const SELECT_COLUMNS = ['id', 'version', 'deleted_at', ...UPDATABLE_FIELDS, 'tags'].map((c) => `c.${c}`).join(', ');

/** Locks the chunk's contacts in id order (ids unique: a join returns a row per key). */
export const LOCK_CHUNK_SQL = `select ${SELECT_COLUMNS} from unnest($1::text[], $2::text[]) as k(tenant_id, id)
  join contacts c on c.tenant_id = k.tenant_id and c.id = k.id order by c.id for update of c -- bulk.lockChunk`;

type Change = Extract<Decision, { kind: 'change' }>;
type UpdatedRow = { id: string; version: string | number; updated_at: Date };

class PgFailure extends Error {}

/** The one set every change shares (update, assign_owner, delete, restore), else undefined. */
function sharedSet(changes: Change[]): Change['set'] | undefined {
  const first = JSON.stringify(changes[0]!.set);
  return changes.every((c) => JSON.stringify(c.set) === first) ? changes[0]!.set : undefined;
}

async function runUpdate(tx: TransactionSql, tenantId: string, changes: Change[]): Promise<UpdatedRow[]> {
  const shared = sharedSet(changes);
  if (shared) {
    // The same values for the whole chunk: one UPDATE joined to the keys, values as typed parameters.
    const cols = Object.keys(shared).filter((k) => TEXT_COLUMNS.includes(k) || k in CAST);
    const values = cols.map((k) => shared[k as keyof typeof shared] ?? null);
    const keys = chunkKeys(tx, tenantId, changes.map((c) => c.id));
    return [...(await tx.unsafe<UpdatedRow[]>(updateSharedSql(cols), [...keys, ...values] as never[]))];
  }
  const rows = await tx.unsafe<UpdatedRow[]>(UPDATE_EACH_SQL, [
    changes.map((c) => ({ t: tenantId, id: c.id, s: c.set })) as never, // a jsonb parameter: postgres.js serializes it once
  ]);
  return [...rows];
}

/** Bisects a failing batch under savepoints until each bad contact fails alone; deterministic errors only. */
async function applyBisect(tx: TransactionSql, tenantId: string, changes: Change[], failed: Map<string, string>): Promise<UpdatedRow[]> {
  try {
    return await tx.savepoint((sp) => runUpdate(sp, tenantId, changes));
  } catch (err) {
    if (isRetriablePgError(err)) throw err;
    if (changes.length === 1) {
      const e = err as { code?: string; message?: string };
      failed.set(changes[0]!.id, `${e.code ?? 'error'}: ${e.message ?? String(err)}`);
      return [];
    }
    const mid = Math.ceil(changes.length / 2);
    const left = await applyBisect(tx, tenantId, changes.slice(0, mid), failed);
    const right = await applyBisect(tx, tenantId, changes.slice(mid), failed);
    return [...left, ...right];
  }
}

/** The contact after the change, for the change feed: the locked row (modified in place: the ledger is written) plus what was set. */
function afterImages(updated: UpdatedRow[], byId: Map<string, ContactRow>, changeById: Map<string, Change>, tenantId: string) {
  const out = new Map<string, Record<string, unknown>>();
  for (const u of updated) {
    const row: Record<string, unknown> = byId.get(u.id) ?? { id: u.id };
    const set = changeById.get(u.id)?.set;
    if (set) Object.assign(row, set);
    row.tenant_id = tenantId;
    row.version = Number(u.version);
    row.updated_at = u.updated_at;
    out.set(u.id, row);
  }
  return out;
}

export async function readLedger(sql: Sql, actionId: string, chunkNo: number) {
  const [row] = await sql<{ results: ResultTuple[]; attempts: number; applied_at: Date; duration_ms: number; status: string }[]>`
    select results, attempts, applied_at, duration_ms, status from bulk_chunks
    where bulk_action_id = ${actionId} and chunk_no = ${chunkNo} -- bulk.readLedger`;
  return row;
}

/** Records a chunk of a cancelled action: every contact skipped, nothing touched. */
export async function recordCancelled(sql: Sql, chunk: ChunkInput): Promise<ChunkOutcome> {
  const results: ResultTuple[] = chunk.entity_ids.map((id, i) => [id, 'skipped', 'cancelled', null, chunk.row_numbers[i] ?? null]);
  const [row] = await sql<{ applied_at: Date }[]>`
    insert into bulk_chunks (bulk_action_id, chunk_no, tenant_id, status, attempts, size, succeeded, failed, skipped, results, duration_ms)
    values (${chunk.bulk_action_id}, ${chunk.chunk_no}, ${chunk.tenant_id}, 'cancelled', 0, ${results.length}, 0, 0, ${results.length}, ${sql.json(results as never)}, 0)
    on conflict do nothing returning applied_at -- bulk.recordCancelled`;
  if (!row) return replayed(sql, chunk);
  return { kind: 'cancelled', results, attempts: 0, appliedAt: row.applied_at, durationMs: 0, entities: new Map() };
}

async function replayed(sql: Sql, chunk: ChunkInput): Promise<ChunkOutcome> {
  const led = await readLedger(sql, chunk.bulk_action_id, chunk.chunk_no);
  if (!led) throw new Error(`ledger row for ${chunk.bulk_action_id}#${chunk.chunk_no} vanished`);
  return { kind: 'replayed', results: led.results, attempts: led.attempts, appliedAt: led.applied_at, durationMs: led.duration_ms, entities: new Map() };
}

/**
 * Applies a chunk exactly once. A chunk already in the ledger is not applied again: its recorded results come back
 * (kind 'replayed') so the caller re-emits the same outcomes. Infrastructure failures throw (retriable).
 */
export async function applyChunk(sql: Sql, chunk: ChunkInput, options: ApplyOptions = {}): Promise<ChunkOutcome> {
  const { retryDelayMs = 1000, retries = 3, sleep = (ms) => new Promise((r) => setTimeout(r, ms)) } = options;
  if (!options.ledgerChecked && (await readLedger(sql, chunk.bulk_action_id, chunk.chunk_no))) return replayed(sql, chunk);
  const payload = JSON.parse(chunk.payload_json) as Payload & { source_chunk_no?: number; reverts_id?: string };

  for (let attempt = 1; ; attempt++) {
    const bisect = attempt > retries + 1;
    const started = performance.now();
    try {
      return await sql.begin(async (tx) => {
        await useKeyedPlans(tx);
        const ids = [...new Set(chunk.entity_ids)];
        const rows = await tx.unsafe<ContactRow[]>(LOCK_CHUNK_SQL, chunkKeys(tx, chunk.tenant_id, ids) as never[]);
        // rows are ours: normalized in place (a spread copy per row, twice per contact, was ~3 µs of ~55)
        const byId = new Map<string, ContactRow>();
        for (const r of rows) {
          r.version = Number(r.version);
          r.deleted_at = r.deleted_at ? new Date(r.deleted_at).toISOString() : null;
          byId.set(r.id, r);
        }
        let images = new Map<string, BeforeImage>();
        if (chunk.action === 'revert' && payload.reverts_id !== undefined) {
          const [src] = await tx<{ before_images: BeforeImage[] }[]>`
            select before_images from bulk_chunks where bulk_action_id = ${payload.reverts_id} and chunk_no = ${payload.source_chunk_no ?? -1} -- bulk.revertImages`;
          images = new Map((src?.before_images ?? []).map((i) => [i.id, i]));
        }
        const now = new Date().toISOString();
        const seen = new Set<string>();
        const decisions = chunk.entity_ids.map((id): Decision => {
          if (seen.has(id)) return { id, kind: 'skip', reason: 'duplicate_in_target' }; // an id listed twice is changed once
          seen.add(id);
          return decide(chunk.action as Action, payload, id, byId.get(id), now, images.get(id));
        });
        const changes = decisions.filter((d): d is Change => d.kind === 'change');
        const changeById = new Map(changes.map((c) => [c.id, c]));
        const failed = new Map<string, string>();
        let updated: UpdatedRow[] = [];
        if (changes.length) {
          try {
            updated = bisect ? await applyBisect(tx, chunk.tenant_id, changes, failed) : await runUpdate(tx, chunk.tenant_id, changes);
          } catch (err) {
            if (isRetriablePgError(err)) throw err;
            throw new PgFailure('chunk failed', { cause: err });
          }
        }
        options.beforeCommit?.();
        const versions = new Map(updated.map((u) => [u.id, Number(u.version)]));
        const results: ResultTuple[] = decisions.map((d, i) => {
          const row = chunk.row_numbers[i] ?? null;
          if (d.kind === 'skip') return [d.id, 'skipped', d.reason, null, row];
          const v = versions.get(d.id);
          if (v !== undefined) return [d.id, 'succeeded', null, v, row];
          return [d.id, 'failed', failed.get(d.id) ?? 'not updated', null, row];
        });
        const beforeImages: BeforeImage[] = changes.filter((c) => versions.has(c.id)).map((c) => ({ id: c.id, version: versions.get(c.id), before: c.before, after: c.set }));
        const count = (s: ContactStatus) => results.filter((r) => r[1] === s).length;
        const durationMs = Math.round(performance.now() - started);
        const [led] = await tx<{ applied_at: Date }[]>`
          insert into bulk_chunks (bulk_action_id, chunk_no, tenant_id, status, attempts, size, succeeded, failed, skipped, results, before_images, duration_ms)
          values (${chunk.bulk_action_id}, ${chunk.chunk_no}, ${chunk.tenant_id}, 'applied', ${attempt}, ${results.length},
                  ${count('succeeded')}, ${count('failed')}, ${count('skipped')}, ${tx.json(results as never)}, ${tx.json(beforeImages as never)}, ${durationMs})
          returning applied_at -- bulk.writeLedger`;
        return {
          kind: 'applied' as const,
          results,
          attempts: attempt,
          appliedAt: led!.applied_at,
          durationMs,
          entities: afterImages(updated, byId, changeById, chunk.tenant_id),
        };
      });
    } catch (err) {
      const e = err as { code?: string };
      if (e.code === '23505') return replayed(sql, chunk); // another executor recorded this chunk first
      if (isRetriablePgError(err)) throw new DependencyUnavailableError('postgres', `chunk ${chunk.bulk_action_id}#${chunk.chunk_no}`, err);
      if (!(err instanceof PgFailure) || bisect) throw err;
      await sleep(retryDelayMs); // fixed interval (seed 004), then the next attempt; after `retries` the chunk is bisected
    }
  }
}
