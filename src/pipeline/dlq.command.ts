// `inflow dlq list|show|replay`: the worker's dead letters (dlq_events), straight from Postgres; replay produces to crm.events.
import type { Config } from '../config.ts';
import type { DlqFilter } from './dlq.service.ts';

export interface DlqCliOptions {
  tenant?: string;
  reason?: string;
  since?: string;
  eventId?: string;
  limit?: string;
  all?: boolean;
  json?: boolean;
}

function filterOf(o: DlqCliOptions): DlqFilter {
  const since = o.since ? new Date(/^\d+[hmd]$/.test(o.since) ? Date.now() - Number(o.since.slice(0, -1)) * { h: 3.6e6, m: 6e4, d: 8.64e7 }[o.since.slice(-1) as 'h' | 'm' | 'd'] : o.since) : undefined;
  if (since && Number.isNaN(since.getTime())) throw new Error(`--since: an ISO time or a duration like 24h, 30m, 7d (got ${o.since})`);
  return { tenantId: o.tenant, reason: o.reason, since, eventId: o.eventId, limit: o.limit ? Number(o.limit) : undefined, includeReplayed: o.all };
}

export async function dlqCommand(cfg: Config, action: 'list' | 'show' | 'replay', arg: string | undefined, o: DlqCliOptions): Promise<string> {
  const { createPostgres } = await import('../infra/postgres.ts');
  const { createDlqService } = await import('./dlq.service.ts');
  const { createKafka, topicName } = await import('../infra/kafka.ts');
  const sql = createPostgres(cfg, { max: 1, applicationName: 'inflow-dlq' });
  const producer = action === 'replay' ? createKafka(cfg).producer() : undefined;
  try {
    await producer?.connect();
    const dlq = createDlqService({ sql, producer }, { eventsTopic: topicName(cfg, 'crm.events') });
    if (action === 'show') {
      const entry = await dlq.show(Number(arg));
      if (!entry) throw new Error(`no dead letter ${arg}`);
      return JSON.stringify(entry, null, 2);
    }
    if (action === 'replay') {
      const f = filterOf(o);
      if (!f.reason && !f.eventId && !f.since && !f.tenantId) throw new Error('replay needs a filter: --reason, --event-id, --since or --tenant');
      const r = await dlq.replay(f);
      return `replayed ${r.replayed} dead letter(s) to ${topicName(cfg, 'crm.events')}${r.ids.length ? `: ${r.ids.join(', ')}` : ''}`;
    }
    const rows = await dlq.list(filterOf(o));
    if (o.json) return JSON.stringify(rows, null, 2);
    if (rows.length === 0) return 'no dead letters match';
    return rows
      .map((r) => `${String(r.id).padStart(6)}  ${r.created_at.toISOString()}  ${(r.reason).padEnd(20)}  ${r.tenant_id ?? '-'}  ${r.event_id ?? '-'}  ${r.event_type ?? '-'}  ${r.topic}/${r.partition}@${r.offset}${r.replayed_at ? `  replayed ${r.replay_count}x` : ''}`)
      .join('\n');
  } finally {
    await producer?.disconnect();
    await sql.end({ timeout: 5 });
  }
}
