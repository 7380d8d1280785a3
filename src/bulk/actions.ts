// What each bulk action does to one contact, as pure functions: payload validation and the per-contact
// decision (change with its before-image, or skip with a reason). The executor turns decisions into one UPDATE.

export const ACTIONS = ['update', 'delete', 'restore', 'tag', 'untag', 'assign_owner'] as const;
export type PublicAction = (typeof ACTIONS)[number];
export type Action = PublicAction | 'revert';

/** Columns a bulk action may write (text unless noted). */
export const UPDATABLE_FIELDS = ['first_name', 'last_name', 'email', 'phone', 'company', 'title', 'country', 'status', 'owner_id'] as const;
export type UpdatableField = (typeof UPDATABLE_FIELDS)[number];
/** Every column the executor can set: the updatable ones plus tags and deleted_at. */
export const WRITABLE_COLUMNS = [...UPDATABLE_FIELDS, 'tags', 'deleted_at'] as const;
export type WritableColumn = (typeof WRITABLE_COLUMNS)[number];

export type ColumnValue = string | string[] | null;
export type Payload = { fields?: Partial<Record<UpdatableField, string | null>>; tags?: string[]; owner_id?: string | null };

/** The locked current row as the executor reads it. */
export interface ContactRow {
  id: string;
  version: number;
  deleted_at: string | null;
  tags: string[];
  [column: string]: unknown;
}

export interface BeforeImage {
  id: string;
  version?: number;
  before: Partial<Record<WritableColumn, ColumnValue>>;
  /** the values this action set: a revert skips a contact whose fields changed again since */
  after?: Partial<Record<WritableColumn, ColumnValue>>;
}

export type Decision =
  | { id: string; kind: 'change'; set: Partial<Record<WritableColumn, ColumnValue>>; before: Partial<Record<WritableColumn, ColumnValue>> }
  | { id: string; kind: 'skip'; reason: string };

const MAX_TAGS = 100;

/** Validates a payload for an action; every problem is named with its path. */
export function validatePayload(action: PublicAction, input: unknown): { ok: true; payload: Payload } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const raw = (input ?? {}) as Record<string, unknown>;
  if (typeof raw !== 'object' || Array.isArray(raw)) return { ok: false, errors: ['payload: must be an object'] };
  const allowedKeys: Record<PublicAction, string[]> = {
    update: ['fields'],
    delete: [],
    restore: [],
    tag: ['tags'],
    untag: ['tags'],
    assign_owner: ['owner_id'],
  };
  for (const k of Object.keys(raw)) if (!allowedKeys[action].includes(k)) errors.push(`payload.${k}: not used by "${action}" (allowed: ${allowedKeys[action].join(', ') || 'none'})`);
  const payload: Payload = {};
  if (action === 'update') {
    const fields = raw.fields as Record<string, unknown> | undefined;
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields) || Object.keys(fields).length === 0) {
      errors.push('payload.fields: must be a non-empty object of field -> value');
    } else {
      payload.fields = {};
      for (const [k, v] of Object.entries(fields)) {
        if (!(UPDATABLE_FIELDS as readonly string[]).includes(k)) errors.push(`payload.fields.${k}: not an updatable field; allowed: ${UPDATABLE_FIELDS.join(', ')}`);
        else if (v !== null && (typeof v !== 'string' || v.length > 1000)) errors.push(`payload.fields.${k}: must be a string (at most 1000 characters) or null`);
        else if (k === 'status' && v === null) errors.push('payload.fields.status: cannot be null');
        else payload.fields[k as UpdatableField] = k === 'email' && typeof v === 'string' ? v.trim().toLowerCase() : (v as string | null);
      }
    }
  }
  if (action === 'tag' || action === 'untag') {
    const tags = raw.tags;
    if (!Array.isArray(tags) || tags.length === 0 || tags.length > MAX_TAGS || tags.some((t) => typeof t !== 'string' || t.length === 0 || t.length > 100)) {
      errors.push(`payload.tags: must be a non-empty array of at most ${MAX_TAGS} non-empty strings`);
    } else payload.tags = [...new Set(tags as string[])];
  }
  if (action === 'assign_owner') {
    const owner = raw.owner_id;
    if (owner !== null && (typeof owner !== 'string' || owner.length === 0 || owner.length > 200)) errors.push('payload.owner_id: must be a non-empty string or null');
    else payload.owner_id = owner;
  }
  return errors.length ? { ok: false, errors } : { ok: true, payload };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** What `action` does to one contact. `row` is undefined when the id is not a contact of this tenant. */
export function decide(action: Action, payload: Payload, id: string, row: ContactRow | undefined, now: string, image?: BeforeImage): Decision {
  if (!row) return { id, kind: 'skip', reason: 'not_found' };
  const deleted = row.deleted_at !== null;
  const change = (set: Partial<Record<WritableColumn, ColumnValue>>): Decision => {
    const before: Partial<Record<WritableColumn, ColumnValue>> = {};
    for (const k of Object.keys(set) as WritableColumn[]) before[k] = (row[k] ?? null) as ColumnValue;
    return { id, kind: 'change', set, before };
  };
  switch (action) {
    case 'delete':
      return deleted ? { id, kind: 'skip', reason: 'already_deleted' } : change({ deleted_at: now });
    case 'restore':
      return deleted ? change({ deleted_at: null }) : { id, kind: 'skip', reason: 'not_deleted' };
    case 'revert': {
      if (!image) return { id, kind: 'skip', reason: 'nothing_to_revert' };
      if (image.after && Object.entries(image.after).some(([k, v]) => !same(row[k], v))) return { id, kind: 'skip', reason: 'modified_after_bulk_action' };
      return change(image.before);
    }
  }
  if (deleted) return { id, kind: 'skip', reason: 'deleted' };
  let set: Partial<Record<WritableColumn, ColumnValue>>;
  if (action === 'update') set = { ...payload.fields };
  else if (action === 'assign_owner') set = { owner_id: payload.owner_id ?? null };
  else if (action === 'tag') set = { tags: [...row.tags, ...(payload.tags ?? []).filter((t) => !row.tags.includes(t))] };
  else set = { tags: row.tags.filter((t) => !(payload.tags ?? []).includes(t)) };
  const changed = Object.entries(set).some(([k, v]) => !same(row[k], v));
  return changed ? change(set) : { id, kind: 'skip', reason: 'no_change' };
}

/** A short description of the change for dry runs: the fields and the new values. */
export function describeChange(action: PublicAction, payload: Payload): Record<string, unknown> {
  switch (action) {
    case 'update':
      return { set: payload.fields };
    case 'delete':
      return { set: { deleted_at: '<now>' } };
    case 'restore':
      return { set: { deleted_at: null } };
    case 'tag':
      return { add_tags: payload.tags };
    case 'untag':
      return { remove_tags: payload.tags };
    case 'assign_owner':
      return { set: { owner_id: payload.owner_id } };
  }
}
