// One batch, end to end up to (not including) the produce: prepare -> Redis fast path -> Postgres -> Redis marks.
// Returns one result per message, in order. Throws only for infrastructure failures: the caller retries the whole batch,
// which is safe because a redelivered position re-emits what Postgres recorded.
import type { Logger } from '../infra/logger.ts';
import type { Sql } from '../infra/postgres.ts';
import type { Decoder } from '../schemas/avro.codec.ts';
import { createApplier, type ApplyMode, type MessageResult, type PreparedEvent } from './apply.step.ts';
import { positionString, type Dedup } from './dedup.step.ts';
import type { GeoLookup } from './enrich.step.ts';
import { eventOutcome } from './outcome.build.ts';
import { prepare, type InMessage, type Prepared } from './prepare.step.ts';
import type { RecordEncoder } from './record.encoder.ts';

/** Test-only crash points (INFLOW_FAULT_POINT): the process kills itself with SIGKILL there. */
export type FaultPoint = 'after_pg_commit' | 'after_redis_write' | 'after_produce';

export interface BatchPipeline {
  process(messages: InMessage[]): Promise<MessageResult[]>;
}

export function createBatchPipeline(
  deps: { decoder: Decoder; sql: Sql; encoder: RecordEncoder; dedup: Dedup | null; geo: GeoLookup | null; logger: Logger; fault?: (point: FaultPoint) => void },
  options: { mode: ApplyMode },
): BatchPipeline {
  const applier = createApplier({ sql: deps.sql, encoder: deps.encoder }, options);
  const dedup = options.mode === 'exactly-once' ? deps.dedup : null;
  return {
    async process(messages) {
      const prepared = await Promise.all(messages.map((m) => prepare(m, deps)));
      const results = new Map<Prepared, MessageResult>();
      const events = prepared.filter((p): p is PreparedEvent => p.kind === 'event');
      const keys = events.map((p) => ({ tenantId: p.event.tenant_id, eventId: p.event.event_id, bucket: p.bucket }));

      let toApply = events;
      if (dedup) {
        const known = await dedup.lookup(keys);
        const processedAt = Date.now();
        toApply = [];
        events.forEach((p, i) => {
          const at = known[i];
          // known from another message: a resend. The same message (a redelivery) and replays go to Postgres.
          if (at && at !== positionString(p.msg) && !p.replay) {
            results.set(p, { msg: p.msg, outcome: eventOutcome({ event: p.event, msg: p.msg, status: 'duplicate', processedAt }), changes: [], dlq: null, recorded: false });
          } else toApply.push(p);
        });
      }
      const applied = await applier.apply(toApply);
      toApply.forEach((p, i) => results.set(p, applied[i]!));
      const undecodable = prepared.filter((p) => p.kind === 'undecodable');
      const failed = await applier.recordFailures(undecodable.map((p) => ({ p, reason: 'undecodable', detail: p.detail })));
      undecodable.forEach((p, i) => results.set(p, failed[i]!));
      deps.fault?.('after_pg_commit');

      if (dedup) {
        const marks = events.flatMap((p, i) => (results.get(p)!.recorded ? [{ key: keys[i]!, position: p.msg }] : []));
        await dedup.mark(marks);
        deps.fault?.('after_redis_write');
      }
      return prepared.map((p) => results.get(p)!);
    },
  };
}
