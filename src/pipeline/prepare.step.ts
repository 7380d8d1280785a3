// decode -> rules -> normalize -> enrich -> effect, for one Kafka message. Pure apart from the decoder's registry lookups.
import { InflowError } from '../infra/errors.ts';
import type { Decoder } from '../schemas/avro.codec.ts';
import { toEffect, type EntityEffect } from './effect.step.ts';
import { enrich, type GeoLookup } from './enrich.step.ts';
import type { CrmEvent, Position } from './event.types.ts';
import { bucketOf } from './ids.ts';
import { normalizeEvent } from './normalize.step.ts';
import { applyRules, type RuleVerdict } from './rules.step.ts';

export interface InMessage extends Position {
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export type Prepared =
  | { kind: 'undecodable'; msg: InMessage; detail: string; tenantId: string | null }
  | {
      kind: 'event';
      msg: InMessage;
      /** as decoded: leads_raw and the DLQ keep this */
      raw: CrmEvent;
      event: CrmEvent;
      verdict: RuleVerdict;
      effect: EntityEffect | null;
      bucket: string;
      /** produced by `inflow dlq replay`: may re-evaluate a rejected event */
      replay: boolean;
    };

export const REPLAY_HEADER = 'inflow-replay-of';

/** The tenant from a `tenant_id:entity_id` key, for outcomes of messages that cannot be decoded. */
export function tenantFromKey(key: string | null): string | null {
  const i = key?.indexOf(':') ?? -1;
  return key && i > 0 ? key.slice(0, i) : null;
}

/** Throws only for infrastructure failures (registry unreachable); a bad message is a value. */
export async function prepare(msg: InMessage, deps: { decoder: Decoder; geo: GeoLookup | null }): Promise<Prepared> {
  let raw: CrmEvent;
  try {
    if (!msg.value) throw new Error('empty message value');
    raw = (await deps.decoder.decode<CrmEvent>(msg.value)).value;
  } catch (err) {
    if (err instanceof InflowError && err.retriable) throw err;
    return { kind: 'undecodable', msg, detail: (err as Error).message, tenantId: tenantFromKey(msg.key) };
  }
  const verdict = applyRules(raw);
  const event = verdict.ok ? normalizeEvent(raw) : raw;
  const effect = verdict.ok
    ? toEffect(event, event.lead ? enrich({ ip: event.lead.ip, user_agent: event.lead.user_agent }, deps.geo) : enrich({ ip: null, user_agent: null }, null))
    : null;
  return { kind: 'event', msg, raw, event, verdict, effect, bucket: bucketOf(raw.occurred_at), replay: REPLAY_HEADER in msg.headers };
}
