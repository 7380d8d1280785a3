// The contacts API's half of the transactional outbox: a committed write's Change (crm.changes) and Outcome
// (crm.outcomes, kind 'api') are inserted in the write's own transaction. Ids are fixed here, at commit time,
// so a relay that re-sends after a crash sends byte-identical records that consumers recognise.
import { createHash } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import type { TransactionSql } from '../infra/postgres.ts';
import { toContact, type ContactRow } from './contacts.schema.ts';

export type ApiOp = 'create' | 'replace' | 'patch' | 'delete' | 'restore';
const CHANGE_OP: Record<ApiOp, 'upsert' | 'delete' | 'restore'> = { create: 'upsert', replace: 'upsert', patch: 'upsert', delete: 'delete', restore: 'restore' };

export const OUTBOX_CHANNEL = 'inflow_outbox';

function piiHash(salt: Buffer, value: string | null): string | null {
  return value ? createHash('sha256').update(salt).update(value).digest('hex') : null;
}

/** The records the relay will produce for one committed API write. Pure, so tests can check the shapes. */
export function apiWriteRecords(input: { tenantId: string; op: ApiOp; row: ContactRow; requestId: string; receivedAt: number; committedAt: number; salt: Buffer }) {
  const { tenantId, op, row, requestId } = input;
  const change = {
    change_id: `api-${requestId}`,
    tenant_id: tenantId,
    entity_type: 'contact',
    entity_id: row.id,
    version: Number(row.version),
    op: CHANGE_OP[op],
    cause_kind: 'api',
    cause_id: requestId,
    committed_at: input.committedAt,
    entity_json: JSON.stringify(toContact(row)),
  };
  const outcome = {
    outcome_id: `api-${requestId}`,
    event_id: null,
    tenant_id: tenantId,
    kind: 'api',
    type: `contact.${op}`,
    source: 'api',
    status: 'applied',
    reason: null,
    entity_type: 'contact',
    entity_id: row.id,
    entity_version: Number(row.version),
    bulk_action_id: null,
    topic: null,
    partition: null,
    offset: null,
    received_at: input.receivedAt,
    processed_at: input.committedAt,
    attempt: 1,
    trace_id: null,
    utm_source: null,
    email_hash: piiHash(input.salt, row.email),
    phone_hash: piiHash(input.salt, row.phone),
  };
  return { change, outcome };
}

/** Inserts the write's Change and Outcome and wakes the relay when the transaction commits. */
export async function recordApiWrite(tx: TransactionSql, input: { tenantId: string; op: ApiOp; row: ContactRow; receivedAt: number }): Promise<string> {
  const requestId = uuidv7();
  const [tenant] = await tx<{ pii_salt: Buffer }[]>`select pii_salt from tenants where id = ${input.tenantId} -- outbox.salt`;
  const { change, outcome } = apiWriteRecords({ ...input, requestId, committedAt: Date.now(), salt: tenant!.pii_salt });
  const key = `${input.tenantId}:${input.row.id}`;
  await tx`
    insert into outbox (tenant_id, topic, message_key, message_id, payload) values
      (${input.tenantId}, 'crm.changes', ${key}, ${'crm.changes:' + change.change_id}, ${tx.json(change)}),
      (${input.tenantId}, 'crm.outcomes', ${key}, ${'crm.outcomes:' + outcome.outcome_id}, ${tx.json(outcome)})
    -- outbox.insert`;
  await tx`select pg_notify(${OUTBOX_CHANNEL}, '') -- outbox.notify`;
  return requestId;
}

/**
 * A refused API write (stale version, duplicate email, unknown or deleted contact) is an input too: its Outcome
 * (status 'rejected', reason = the refusal) is recorded in the same transaction as the decision, with no Change.
 */
export async function recordApiRefusal(
  tx: TransactionSql,
  input: { tenantId: string; op: ApiOp; entityId: string; reason: string; currentVersion?: number; receivedAt: number },
): Promise<void> {
  const id = `api-${uuidv7()}`;
  const outcome = {
    outcome_id: id,
    event_id: null,
    tenant_id: input.tenantId,
    kind: 'api',
    type: `contact.${input.op}`,
    source: 'api',
    status: 'rejected',
    reason: input.reason,
    entity_type: 'contact',
    entity_id: input.entityId,
    entity_version: input.currentVersion ?? null,
    bulk_action_id: null,
    topic: null,
    partition: null,
    offset: null,
    received_at: input.receivedAt,
    processed_at: Date.now(),
    attempt: 1,
    trace_id: null,
    utm_source: null,
    email_hash: null,
    phone_hash: null,
  };
  await tx`
    insert into outbox (tenant_id, topic, message_key, message_id, payload)
    values (${input.tenantId}, 'crm.outcomes', ${`${input.tenantId}:${input.entityId}`}, ${'crm.outcomes:' + id}, ${tx.json(outcome)})
    -- outbox.insertRefusal`;
  await tx`select pg_notify(${OUTBOX_CHANNEL}, '') -- outbox.notify`;
}
