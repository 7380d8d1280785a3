// Business rules: what must not be applied at all. A rejected event is an outcome (with its raw payload in the DLQ), not an error.
import { EVENT_TYPES, type CrmEvent } from './event.types.ts';

export type RuleVerdict = { ok: true } | { ok: false; reason: 'no_consent' | 'unknown_type' | 'missing_entity_id' };

const KNOWN = new Set<string>(EVENT_TYPES);

export function applyRules(event: CrmEvent): RuleVerdict {
  if (!KNOWN.has(event.type)) return { ok: false, reason: 'unknown_type' };
  if (!event.entity_id.trim()) return { ok: false, reason: 'missing_entity_id' };
  // Seed 003: "Do not process events where consent is false". Unknown consent (null) is processed.
  if (event.consent === false) return { ok: false, reason: 'no_consent' };
  return { ok: true };
}
