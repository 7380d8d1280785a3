// Parsing a create request (JSON body, or the fields of a multipart upload) and a CSV of ids, as pure functions.
// Every invalid part is named; nothing here touches a service.
import { ACTIONS, validatePayload, type Payload, type PublicAction } from './actions.ts';
import { compileFilter } from './filter.compile.ts';

export const MAX_JSON_IDS = 100_000; // larger id lists go through the CSV upload

export interface CreateRequest {
  action: PublicAction;
  target: { filter: unknown } | { ids: string[] } | { csv: { ids: string[]; rows: number[]; filename: string } };
  payload: Payload;
  scheduledAt: Date | null;
  rateLimitPerSec: number | null;
  dryRun: boolean;
}

const KNOWN = ['entity', 'action', 'target', 'payload', 'scheduled_at', 'rate_limit_per_sec', 'dry_run'];

export function parseCreateRequest(body: unknown, csv?: { ids: string[]; rows: number[]; filename: string }): { ok: true; value: CreateRequest } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, errors: ['(body): must be a JSON object'] };
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (!KNOWN.includes(k)) errors.push(`${k}: unknown field; allowed: ${KNOWN.join(', ')}`);
  if (b.entity !== 'contacts') errors.push(`entity: must be "contacts", got ${JSON.stringify(b.entity ?? null)}`);
  const action = b.action as PublicAction;
  const actionOk = typeof action === 'string' && (ACTIONS as readonly string[]).includes(action);
  if (!actionOk) errors.push(`action: must be one of ${ACTIONS.join(', ')}, got ${JSON.stringify(b.action ?? null)}`);

  let target: CreateRequest['target'] | undefined;
  const t = b.target as Record<string, unknown> | undefined;
  if (csv) {
    if (t !== undefined) errors.push('target: give either a CSV file or a target, not both');
    target = { csv };
  } else if (typeof t !== 'object' || t === null || Array.isArray(t)) {
    errors.push('target: must be {"filter": {...}} or {"ids": [...]} (or upload a CSV file)');
  } else {
    const keys = Object.keys(t);
    if (keys.length !== 1 || !['filter', 'ids'].includes(keys[0]!)) errors.push(`target: must have exactly one of "filter" or "ids", got ${keys.join(', ') || 'nothing'}`);
    else if (keys[0] === 'filter') {
      const compiled = compileFilter(t.filter, 1, 'target.filter');
      if (!compiled.ok) errors.push(...compiled.errors);
      else target = { filter: t.filter };
    } else {
      const ids = t.ids;
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > MAX_JSON_IDS) errors.push(`target.ids: must be a non-empty array of at most ${MAX_JSON_IDS} ids (upload a CSV for more)`);
      else {
        const bad = ids.findIndex((x) => typeof x !== 'string' || x.length === 0 || x.length > 200);
        if (bad >= 0) errors.push(`target.ids[${bad}]: must be a non-empty string of at most 200 characters`);
        else target = { ids: ids as string[] };
      }
    }
  }

  let payload: Payload = {};
  if (actionOk) {
    const p = validatePayload(action, b.payload);
    if (!p.ok) errors.push(...p.errors);
    else payload = p.payload;
  }
  let scheduledAt: Date | null = null;
  if (b.scheduled_at !== undefined && b.scheduled_at !== null) {
    if (typeof b.scheduled_at !== 'string' || Number.isNaN(Date.parse(b.scheduled_at))) errors.push('scheduled_at: must be an ISO 8601 timestamp');
    else scheduledAt = new Date(b.scheduled_at);
  }
  let rateLimitPerSec: number | null = null;
  if (b.rate_limit_per_sec !== undefined && b.rate_limit_per_sec !== null) {
    const r = Number(b.rate_limit_per_sec);
    if (!Number.isInteger(r) || r < 1 || r > 1_000_000) errors.push('rate_limit_per_sec: must be an integer from 1 to 1000000');
    else rateLimitPerSec = r;
  }
  const dryRun = b.dry_run === true || b.dry_run === 'true';
  if (b.dry_run !== undefined && typeof b.dry_run !== 'boolean' && b.dry_run !== 'true' && b.dry_run !== 'false') errors.push('dry_run: must be true or false');
  if (errors.length || !target) return { ok: false, errors };
  return { ok: true, value: { action, target, payload, scheduledAt, rateLimitPerSec, dryRun } };
}

/** Ids from a CSV: the column named id or contact_id (else the first); row numbers count data rows from 1. */
export function parseCsvIds(text: string): { ok: true; ids: string[]; rows: number[] } | { ok: false; errors: string[] } {
  const lines = text.split(/\r?\n/);
  const unquote = (s: string) => s.trim().replace(/^"(.*)"$/, '$1').replace(/""/g, '"');
  const header = (lines[0] ?? '').split(',').map((h) => unquote(h).toLowerCase());
  let col = header.findIndex((h) => h === 'id' || h === 'contact_id');
  const hasHeader = col >= 0 || header.some((h) => /^[a-z_]+$/.test(h) && ['email', 'name', 'contact'].some((w) => h.includes(w)));
  if (col < 0) col = 0;
  const ids: string[] = [];
  const rows: number[] = [];
  const errors: string[] = [];
  for (let i = hasHeader ? 1 : 0, row = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const id = unquote(line.split(',')[col] ?? '');
    if (!id || id.length > 200) {
      if (errors.length < 20) errors.push(`file row ${row}: missing or too long id`);
    } else {
      ids.push(id);
      rows.push(row);
    }
    row++;
  }
  if (!ids.length && !errors.length) errors.push('file: no ids found');
  return errors.length ? { ok: false, errors } : { ok: true, ids, rows };
}
