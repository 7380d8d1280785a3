// One batch, end to end up to (not including) the produce, in three steps:
//   stage  (prepare, Redis fast path; no Postgres)
//   apply  (the Postgres transaction)
//   mark   (Redis marks, after the commit)          — runs with the produce, off the next chunk's path
// Results come one per message, in order. Steps throw only for infrastructure failures: the caller retries the
// chunk, which is safe because a redelivered position re-emits what Postgres recorded.
import type { Logger } from '../infra/logger.ts';
import type { Sql } from '../infra/postgres.ts';
import type { Decoder } from '../schemas/avro.codec.ts';
import { createApplier, type ApplyMode, type MessageResult, type PreparedEvent } from './apply.step.ts';
import { positionString, type Dedup, type DedupKey, type DedupMark } from './dedup.step.ts';
import type { GeoLookup } from './enrich.step.ts';
import { eventOutcome } from './outcome.build.ts';
import { prepare, type InMessage, type Prepared } from './prepare.step.ts';
import type { RecordEncoder } from './record.encoder.ts';

/** Test-only crash points (INFLOW_FAULT_POINT): the process kills itself with SIGKILL there. */
export type FaultPoint = 'after_pg_commit' | 'after_redis_write' | 'after_produce';

export interface StagedChunk {
  prepared: Prepared[];
  events: PreparedEvent[];
  keys: DedupKey[];
  /** per event, the position Redis says processed it; null when unknown or when Redis did not answer */
  known: (string | null)[];
}

export interface AppliedChunk {
  results: MessageResult[];
  /** what to mark in Redis once the chunk is committed (empty without a fast path) */
  marks: DedupMark[];
}

export interface BatchPipeline {
  stage(messages: InMessage[]): Promise<StagedChunk>;
  apply(staged: StagedChunk): Promise<AppliedChunk>;
  /** Best effort: a lost mark costs a Postgres lookup, never a double apply. */
  mark(marks: DedupMark[]): Promise<void>;
  /** stage, apply and mark one after the other */
  process(messages: InMessage[]): Promise<MessageResult[]>;
}

export function createBatchPipeline(
  deps: { decoder: Decoder; sql: Sql; encoder: RecordEncoder; dedup: Dedup | null; geo: GeoLookup | null; logger: Logger; fault?: (point: FaultPoint) => void },
  options: { mode: ApplyMode },
): BatchPipeline {
  const applier = createApplier({ sql: deps.sql, encoder: deps.encoder }, options);
  const dedup = options.mode === 'exactly-once' ? deps.dedup : null;
  const pipeline: BatchPipeline = {
    async stage(messages) {
      const prepared = await Promise.all(messages.map((m) => prepare(m, deps)));
      const events = prepared.filter((p): p is PreparedEvent => p.kind === 'event');
      const keys = events.map((p) => ({ tenantId: p.event.tenant_id, eventId: p.event.event_id, bucket: p.bucket }));
      const known = dedup ? await dedup.lookup(keys) : keys.map(() => null);
      return { prepared, events, keys, known };
    },

    async apply({ prepared, events, keys, known }) {
      const results = new Map<Prepared, MessageResult>();
      let toApply = events;
      if (dedup) {
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
      // Redis knows none of them and none is a replay: most likely all new, so insert first (see Applier.apply)
      const insertFirst = dedup !== null && known.every((k) => k === null) && events.every((p) => !p.replay);
      const applied = await applier.apply(toApply, { insertFirst });
      toApply.forEach((p, i) => results.set(p, applied[i]!));
      const undecodable = prepared.filter((p) => p.kind === 'undecodable');
      const failed = await applier.recordFailures(undecodable.map((p) => ({ p, reason: 'undecodable', detail: p.detail })));
      undecodable.forEach((p, i) => results.set(p, failed[i]!));
      deps.fault?.('after_pg_commit');
      const marks = dedup ? events.flatMap((p, i) => (results.get(p)!.recorded ? [{ key: keys[i]!, position: p.msg }] : [])) : [];
      return { results: prepared.map((p) => results.get(p)!), marks };
    },

    async mark(marks) {
      if (!dedup) return;
      await dedup.mark(marks);
      deps.fault?.('after_redis_write');
    },

    async process(messages) {
      const { results, marks } = await pipeline.apply(await pipeline.stage(messages));
      await pipeline.mark(marks);
      return results;
    },
  };
  return pipeline;
}
