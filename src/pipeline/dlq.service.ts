// Dead letters: list, show and replay (CLI `inflow dlq` and GET /v1/dlq, POST /v1/dlq/replay).
// Replay produces the original bytes (same event_id) back to crm.events with an `inflow-replay-of` header:
// exactly-once still holds, so replaying twice is harmless.
import type { Producer } from 'kafkajs';
import type { Sql } from '../infra/postgres.ts';
import { REPLAY_HEADER } from './prepare.step.ts';

export interface DlqFilter {
  tenantId?: string;
  reason?: string;
  since?: Date;
  eventId?: string;
  includeReplayed?: boolean;
  limit?: number;
}

export interface DlqEntry {
  id: number;
  tenant_id: string | null;
  event_id: string | null;
  event_type: string | null;
  reason: string;
  detail: string | null;
  topic: string;
  partition: number;
  offset: string;
  created_at: Date;
  replayed_at: Date | null;
  replay_count: number;
}

export interface DlqService {
  list(filter: DlqFilter): Promise<DlqEntry[]>;
  show(id: number, tenantId?: string): Promise<(DlqEntry & { key: string | null; headers: Record<string, string>; payload_base64: string | null }) | null>;
  /** Re-produces matching letters (not yet replayed unless includeReplayed) to the events topic; returns what it sent. */
  replay(filter: DlqFilter): Promise<{ replayed: number; ids: number[] }>;
}

const LIST_COLUMNS = `id, tenant_id, event_id, event_type, reason, detail, topic, partition, "offset"::text as offset, created_at, replayed_at, replay_count`;

export function createDlqService(deps: { sql: Sql; producer?: Producer }, options: { eventsTopic: string }): DlqService {
  const { sql } = deps;
  function where(f: DlqFilter) {
    return sql`
      where true
      ${f.tenantId ? sql`and tenant_id = ${f.tenantId}` : sql``}
      ${f.reason ? sql`and (reason = ${f.reason} or reason like ${f.reason + ':%'})` : sql``}
      ${f.since ? sql`and created_at >= ${f.since}` : sql``}
      ${f.eventId ? sql`and event_id = ${f.eventId}` : sql``}
      ${f.includeReplayed ? sql`` : sql`and replayed_at is null`}`;
  }
  return {
    async list(f) {
      return sql<DlqEntry[]>`select ${sql.unsafe(LIST_COLUMNS)} from dlq_events ${where({ includeReplayed: true, ...f })}
        order by id limit ${f.limit ?? 100} -- pipeline.dlq.list`;
    },
    async show(id, tenantId) {
      const [row] = await sql<(DlqEntry & { message_key: string | null; headers: Record<string, string>; payload: Buffer | null })[]>`
        select ${sql.unsafe(LIST_COLUMNS)}, message_key, headers, payload from dlq_events
        where id = ${id} ${tenantId ? sql`and tenant_id = ${tenantId}` : sql``} -- pipeline.dlq.show`;
      if (!row) return null;
      const { message_key, payload, ...rest } = row;
      return { ...rest, key: message_key, payload_base64: payload ? payload.toString('base64') : null };
    },
    async replay(f) {
      if (!deps.producer) throw new Error('dlq replay needs a producer');
      const rows = await sql<{ id: number; message_key: string | null; payload: Buffer | null; headers: Record<string, string> }[]>`
        select id, message_key, payload, headers from dlq_events ${where(f)} and payload is not null
        order by id limit ${f.limit ?? 10_000} -- pipeline.dlq.replay-select`;
      if (rows.length === 0) return { replayed: 0, ids: [] };
      await deps.producer.send({
        topic: options.eventsTopic,
        acks: -1,
        messages: rows.map((r) => ({ key: r.message_key, value: r.payload, headers: { ...r.headers, [REPLAY_HEADER]: String(r.id) } })),
      });
      const ids = rows.map((r) => r.id);
      await sql`update dlq_events set replayed_at = now(), replay_count = replay_count + 1 where id = any(${ids}) -- pipeline.dlq.replayed`;
      return { replayed: ids.length, ids };
    },
  };
}
