// Outcome and Change records for a chunk's results. Ids and timestamps are deterministic so a re-emission
// after a redelivery is the same record (ClickHouse keeps one row per outcome_id).
import { hash } from 'node:crypto';
import type { ResultTuple } from './chunk.apply.ts';

export function bulkOutcomeId(bulkActionId: string, contactId: string): string {
  return hash('sha256', `bulk:${bulkActionId}:${contactId}`, 'hex').slice(0, 32); // one-shot hash: ~3x cheaper than createHash
}

export function bulkChangeId(bulkActionId: string, contactId: string, version: number): string {
  return hash('sha256', `bulk-change:${bulkActionId}:${contactId}:${version}`, 'hex').slice(0, 32);
}

export interface OutcomeContext {
  bulkActionId: string;
  tenantId: string;
  action: string;
  /** the action's created_at: every outcome of an action carries it, so re-emissions land on the same ClickHouse key */
  receivedAt: number;
  processedAt: number;
  attempts: number;
  topic: string;
  partition: number;
  offset: number;
}

export function outcomeRecords(ctx: OutcomeContext, results: ResultTuple[]) {
  return results.map(([id, status, reason, version]) => ({
    outcome_id: bulkOutcomeId(ctx.bulkActionId, id),
    event_id: null,
    tenant_id: ctx.tenantId,
    kind: 'bulk',
    type: ctx.action,
    source: 'bulk',
    status,
    reason,
    entity_type: 'contact',
    entity_id: id,
    entity_version: version,
    bulk_action_id: ctx.bulkActionId,
    topic: ctx.topic,
    partition: ctx.partition,
    offset: ctx.offset,
    received_at: ctx.receivedAt,
    processed_at: ctx.processedAt,
    attempt: Math.max(1, ctx.attempts),
    trace_id: null,
    utm_source: null,
    email_hash: null,
    phone_hash: null,
  }));
}

export function changeRecords(
  ctx: Pick<OutcomeContext, 'bulkActionId' | 'tenantId' | 'processedAt' | 'action'>,
  results: ResultTuple[],
  entities: Map<string, Record<string, unknown>>,
) {
  const out = [];
  for (const [id, status, , version] of results) {
    if (status !== 'succeeded' || version === null) continue;
    const entity = entities.get(id) ?? { id, tenant_id: ctx.tenantId };
    out.push({
      change_id: bulkChangeId(ctx.bulkActionId, id, version),
      tenant_id: ctx.tenantId,
      entity_type: 'contact',
      entity_id: id,
      version,
      op: entity.deleted_at ? 'delete' : ctx.action === 'restore' ? 'restore' : 'upsert',
      cause_kind: 'bulk',
      cause_id: ctx.bulkActionId,
      committed_at: ctx.processedAt,
      entity_json: JSON.stringify(entity),
    });
  }
  return out;
}
