// One Postgres transaction per (sub-)batch: classify against processed_events, apply the entity effects with batched
// SQL, keep raw lead payloads, record every finished event (with its outcome and changes) and the dead letters.
import { DependencyUnavailableError } from '../infra/errors.ts';
import { int4ArrayParam, isRetriablePgError, packBytes, PREPARED, textArrayParam, useKeyedPlans, type Sql, type TransactionSql } from '../infra/postgres.ts';
import { applyEffects, linkConversions, type Link } from './entities.repository.ts';
import type { Change, Outcome } from './event.types.ts';
import { isoOf } from './iso.time.ts';
import { changeOf, eventOutcome, undecodableOutcome } from './outcome.build.ts';
import type { InMessage, Prepared } from './prepare.step.ts';
import { AlreadyRecordedError, alreadyRecordedOnConflict, ConcurrentProcessingError, keyOf, loadProcessed, loadSalts, recordDlq, recordProcessed, type DlqRow, type ProcessedRow } from './processed.repository.ts';
import type { EncodedRecords, RecordEncoder } from './record.encoder.ts';

export type PreparedEvent = Extract<Prepared, { kind: 'event' }>;

export interface MessageResult {
  msg: InMessage;
  outcome: Outcome;
  changes: Change[];
  dlq: DlqRow | null;
  /** recorded in processed_events by this processing (applied | stale | rejected): marked in Redis after the commit */
  recorded: boolean;
  /** outcome and changes already encoded (recorded ones, and redeliveries re-emitting the stored bytes) */
  records?: EncodedRecords;
}

export type ApplyMode = 'exactly-once' | 'at-least-once';

const samePosition = (a: { topic: string; partition: number; offset: string }, m: InMessage) =>
  a.topic === m.topic && a.partition === m.partition && String(a.offset) === m.offset;

export function dlqRowOf(msg: InMessage, reason: string, detail: string | null, who: { tenantId: string | null; eventId: string | null; eventType: string | null }): DlqRow {
  return { ...who, reason, detail, position: { topic: msg.topic, partition: msg.partition, offset: msg.offset }, key: msg.key, payload: msg.value, headers: msg.headers };
}

/** SQLSTATE classes 22 (data exception) and 23 (integrity constraint): this event's data, retrying cannot help. */
export function isDeterministicPgError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^(22|23)/.test(code);
}

export interface Applier {
  /**
   * `insertFirst`: nothing says these events were seen before (Redis knows none of them, none is a replay), so the
   * transaction skips the processed_events lookup and inserts; a row already there rolls it back, and the batch is
   * classified against the table as usual. A resend or redelivery costs one more transaction; a new event one
   * statement less.
   */
  apply(items: PreparedEvent[], options?: { insertFirst?: boolean }): Promise<MessageResult[]>;
  recordFailures(items: { p: Prepared; reason: string; detail: string }[]): Promise<MessageResult[]>;
}

export function createApplier(deps: { sql: Sql; encoder: RecordEncoder }, options: { mode: ApplyMode }): Applier {
  const { sql, encoder } = deps;
  const salts = new Map<string, Buffer>();

  async function saltsFor(tx: TransactionSql, tenants: string[]): Promise<void> {
    const missing = [...new Set(tenants)].filter((t) => !salts.has(t));
    for (const [id, salt] of await loadSalts(tx, missing)) salts.set(id, salt);
  }

  async function applyTx(tx: TransactionSql, items: PreparedEvent[], processedAt: number, insertFirst: boolean): Promise<MessageResult[]> {
    const exactlyOnce = options.mode === 'exactly-once';
    await saltsFor(tx, items.map((p) => p.event.tenant_id));
    const keys = items.map((p) => ({ tenantId: p.event.tenant_id, eventId: p.event.event_id, bucket: p.bucket }));
    const known = exactlyOnce && !insertFirst ? await loadProcessed(tx, keys, encoder) : new Map<string, ProcessedRow>();
    const results: MessageResult[] = new Array<MessageResult>(items.length);
    const fresh: number[] = [];
    const seen = new Set<string>();
    const duplicate = (p: PreparedEvent): MessageResult => ({
      msg: p.msg, outcome: eventOutcome({ event: p.event, msg: p.msg, status: 'duplicate', salt: salts.get(p.event.tenant_id), processedAt }),
      changes: [], dlq: null, recorded: false,
    });

    items.forEach((p, i) => {
      const k = keyOf(keys[i]!);
      if (exactlyOnce && seen.has(k)) return void (results[i] = duplicate(p));
      seen.add(k);
      const row = known.get(k);
      if (!row) return void fresh.push(i);
      if (samePosition(row.position, p.msg)) {
        // a redelivery: the original outcome and changes, and the dead letter again if it had one
        const dlq = row.status === 'rejected' || row.status === 'failed'
          ? dlqRowOf(p.msg, row.reason ?? row.status, null, { tenantId: p.event.tenant_id, eventId: p.event.event_id, eventType: p.event.type })
          : null;
        return void (results[i] = { msg: p.msg, outcome: row.outcome, changes: row.changes, dlq, recorded: false, ...(row.records ? { records: row.records } : {}) });
      }
      if (row.status === 'failed' || (row.status === 'rejected' && p.replay)) return void fresh.push(i);
      results[i] = duplicate(p);
    });

    const withEffect = fresh.filter((i) => items[i]!.effect);
    const applied = await applyEffects(tx, withEffect.map((i) => items[i]!.effect!));
    const effectOf = new Map(withEffect.map((i, j) => [i, applied[j]!]));

    const leadEvents = fresh.map((i) => items[i]!).filter((p) => p.effect?.entity === 'lead');
    if (leadEvents.length > 0) {
      // the payloads travel as one bytea (no array-literal escaping of ~1 KB of JSON each), cut by offset in SQL
      const payloads = packBytes(leadEvents.map((p) => JSON.stringify(p.raw)));
      // insert-first: a plain insert (no speculative insertion, ~3 µs a row less for Postgres); a row already there
      // fails it with 23505, which rolls back and sends the chunk the careful way
      const onConflict = insertFirst ? '' : 'on conflict (tenant_id, event_id) do nothing';
      await tx.unsafe(
        `insert into leads_raw (tenant_id, event_id, lead_id, idempotency_key, request_id, payload, received_at)
         select tenant_id, event_id, lead_id, idempotency_key, request_id, convert_from(substring($8::bytea from p_at for p_len), 'UTF8')::json, received_at::timestamptz
         from unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::int[], $9::text[])
           as r(tenant_id, event_id, lead_id, idempotency_key, request_id, p_at, p_len, received_at)
         ${onConflict} -- pipeline.apply.leads-raw`,
        [
          textArrayParam(tx, leadEvents.map((p) => p.raw.tenant_id)), textArrayParam(tx, leadEvents.map((p) => p.raw.event_id)), textArrayParam(tx, leadEvents.map((p) => p.event.entity_id)),
          textArrayParam(tx, leadEvents.map((p) => p.raw.idempotency_key)), textArrayParam(tx, leadEvents.map((p) => p.raw.request_id)),
          int4ArrayParam(tx, payloads.at), int4ArrayParam(tx, payloads.len), payloads.bytes, textArrayParam(tx, leadEvents.map((p) => isoOf(p.raw.received_at))),
        ] as never,
        PREPARED,
      ).catch(alreadyRecordedOnConflict(insertFirst, 'a raw lead payload'));
    }

    const links: Link[] = [];
    for (const i of withEffect) {
      const e = items[i]!.effect!;
      if (e.links && effectOf.get(i)!.applied) {
        links.push({ tenantId: items[i]!.event.tenant_id, leadId: e.entityId, contactId: e.links.contactId, opportunityId: e.links.opportunityId, eventId: items[i]!.event.event_id });
      }
    }
    const linked = await linkConversions(tx, links);

    const processed: (ProcessedRow & { records: EncodedRecords })[] = [];
    const dlq: DlqRow[] = [];
    for (const i of fresh) {
      const p = items[i]!;
      const salt = salts.get(p.event.tenant_id);
      let result: MessageResult;
      if (!p.verdict.ok) {
        const outcome = eventOutcome({ event: p.event, msg: p.msg, status: 'rejected', reason: p.verdict.reason, salt, processedAt });
        const letter = dlqRowOf(p.msg, p.verdict.reason, null, { tenantId: p.event.tenant_id, eventId: p.event.event_id, eventType: p.event.type });
        dlq.push(letter);
        result = { msg: p.msg, outcome, changes: [], dlq: letter, recorded: true };
      } else {
        const r = effectOf.get(i)!;
        const e = p.effect!;
        const changes: Change[] = [];
        if (r.applied) {
          const op = p.event.type === 'contact.deleted' ? 'delete' : 'upsert';
          changes.push(changeOf({ tenantId: p.event.tenant_id, entity: e.entity, entityId: e.entityId, version: r.version!, op, eventId: p.event.event_id, row: r.entity!, committedAt: processedAt }));
          for (const l of linked.filter((x) => x.eventId === p.event.event_id && x.tenantId === p.event.tenant_id)) {
            changes.push(changeOf({ tenantId: l.tenantId, entity: l.entity, entityId: l.id, version: l.version, op: 'upsert', eventId: p.event.event_id, row: l.row, committedAt: processedAt }));
          }
        }
        const outcome = eventOutcome({
          event: p.event, msg: p.msg, status: r.applied ? 'applied' : 'stale', reason: r.applied ? null : 'older_than_entity',
          entityVersion: r.version, salt, processedAt,
        });
        result = { msg: p.msg, outcome, changes, dlq: null, recorded: true };
      }
      results[i] = result;
      if (exactlyOnce) {
        result.records = encoder.encode(result.outcome, result.changes);
        const k = keys[i]!;
        // spelled out: a literal that starts with a spread and goes on takes V8's slow path (~5 µs an event here)
        processed.push({ tenantId: k.tenantId, eventId: k.eventId, bucket: k.bucket, status: result.outcome.status as ProcessedRow['status'], reason: result.outcome.reason, position: p.msg, outcome: result.outcome, changes: result.changes, records: result.records });
      }
    }
    if (exactlyOnce) await recordProcessed(tx, processed, insertFirst ? 'insert-only' : 'replace-failed');
    await recordDlq(tx, dlq);
    return results;
  }

  /** Runs fn in a transaction; infrastructure failures come out as retriable DependencyUnavailableError. */
  async function inTx<T>(fn: (tx: TransactionSql) => Promise<T>): Promise<T> {
    try {
      return await sql.begin(async (tx) => {
        await useKeyedPlans(tx);
        return fn(tx);
      }) as T;
    } catch (err) {
      if (isRetriablePgError(err)) throw new DependencyUnavailableError('postgres', 'transaction failed', err);
      if (err instanceof ConcurrentProcessingError) throw new DependencyUnavailableError('postgres', err.message, err);
      throw err;
    }
  }

  const applier: Applier = {
    async apply(items, applyOptions) {
      if (items.length === 0) return [];
      await encoder.ready();
      const insertFirst = applyOptions?.insertFirst === true && options.mode === 'exactly-once';
      try {
        return await inTx((tx) => applyTx(tx, items, Date.now(), insertFirst));
      } catch (err) {
        if (err instanceof AlreadyRecordedError) return applier.apply(items); // rolled back: classify against the table
        if (!isDeterministicPgError(err)) throw err;
        if (items.length === 1) {
          const code = (err as { code: string }).code;
          return applier.recordFailures([{ p: items[0]!, reason: `apply_failed:${code}`, detail: (err as Error).message }]);
        }
        // bisect: the halves in order (per-entity order), so the one bad event is found in log2(n) transactions
        const mid = Math.ceil(items.length / 2);
        return [...(await applier.apply(items.slice(0, mid), applyOptions)), ...(await applier.apply(items.slice(mid), applyOptions))];
      }
    },

    async recordFailures(failures) {
      if (failures.length === 0) return [];
      await encoder.ready();
      const processedAt = Date.now();
      const results: MessageResult[] = [];
      const processed: (ProcessedRow & { records: EncodedRecords })[] = [];
      const dlq: DlqRow[] = [];
      for (const { p, reason, detail } of failures) {
        if (p.kind === 'undecodable') {
          const letter = dlqRowOf(p.msg, reason, detail, { tenantId: p.tenantId, eventId: null, eventType: null });
          dlq.push(letter);
          results.push({ msg: p.msg, outcome: undecodableOutcome(p.msg, p.tenantId, processedAt), changes: [], dlq: letter, recorded: false });
          continue;
        }
        const outcome = eventOutcome({ event: p.event, msg: p.msg, status: 'failed', reason, salt: salts.get(p.event.tenant_id), processedAt });
        const letter = dlqRowOf(p.msg, reason, detail, { tenantId: p.event.tenant_id, eventId: p.event.event_id, eventType: p.event.type });
        dlq.push(letter);
        const records = encoder.encode(outcome, []);
        results.push({ msg: p.msg, outcome, changes: [], dlq: letter, recorded: false, records });
        processed.push({ tenantId: p.event.tenant_id, eventId: p.event.event_id, bucket: p.bucket, status: 'failed', reason, position: p.msg, outcome, changes: [], records });
      }
      await inTx(async (tx) => {
        if (options.mode === 'exactly-once') {
          // a failed row only replaces another failed one; anything else there means this is not a first processing
          const known = await loadProcessed(tx, processed, encoder);
          const fresh = processed.filter((r) => !known.has(keyOf(r)) || known.get(keyOf(r))!.status === 'failed');
          await recordProcessed(tx, fresh);
        }
        await recordDlq(tx, dlq);
      });
      return results;
    },
  };
  return applier;
}
