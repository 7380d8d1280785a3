// GET /v1/contacts query string -> a typed list query. Only allow-listed parameters, filter fields and sort fields;
// anything else is a 400 that names every bad parameter. Values never reach SQL as text (always bound parameters).
import { z } from 'zod';
import type { FieldProblem } from '../accounts/api-errors.ts';

export const SORT_FIELDS = ['created_at', 'updated_at', 'email', 'last_name', 'company'] as const;
export type SortField = (typeof SORT_FIELDS)[number];

const isoTime = z.iso.datetime({ offset: true, message: 'an ISO 8601 time such as 2026-01-31T12:00:00Z' });
/** Filters: parameter -> the value's schema. tag matches contacts carrying that tag. */
const FILTERS = {
  email: z.string().trim().toLowerCase().max(254),
  status: z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'lower-case letters, digits and _'),
  owner_id: z.string().max(100),
  country: z.string().toUpperCase().regex(/^[A-Z]{2}$/, 'an ISO 3166 alpha-2 code'),
  company: z.string().max(200),
  tag: z.string().max(64),
  created_after: isoTime,
  created_before: isoTime,
  updated_after: isoTime,
  updated_before: isoTime,
} as const;
export type Filters = { [K in keyof typeof FILTERS]?: z.infer<(typeof FILTERS)[K]> };
export const FILTER_FIELDS = Object.keys(FILTERS) as (keyof typeof FILTERS)[];

/** How Postgres prints a timestamptz (the cursor of a time sort carries it verbatim). */
const PG_TIMESTAMP = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;
const CONTROL = ['limit', 'cursor', 'sort', 'q', 'deleted'] as const;
export const MAX_LIMIT = 200; // one page stays well under a MB and a few ms of Postgres time
const DEFAULT_LIMIT = 50;

export interface Cursor {
  /** The sort key of the last row, as Postgres printed it (timestamps keep their microseconds). */
  v: string;
  id: string;
}

export interface ListQuery {
  filters: Filters;
  sort: { field: SortField; dir: 'asc' | 'desc' };
  limit: number;
  cursor?: Cursor;
  q?: string;
  deleted: 'exclude' | 'include' | 'only';
}

export function encodeCursor(sort: ListQuery['sort'], c: Cursor): string {
  return Buffer.from(JSON.stringify({ s: `${sort.dir === 'desc' ? '-' : ''}${sort.field}`, v: c.v, id: c.id })).toString('base64url');
}

function decodeCursor(raw: string, sortKey: string): Cursor | string {
  try {
    const parsed = z.object({ s: z.string(), v: z.string().max(500), id: z.string().max(200) }).parse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    if (parsed.s !== sortKey) return 'this cursor belongs to another sort order; keep the same sort parameter while paging';
    return { v: parsed.v, id: parsed.id };
  } catch {
    return 'not a cursor returned by this API';
  }
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; problems: FieldProblem[] };

/** Parses URLSearchParams-like entries; repeated parameters are an error (one value each). */
export function parseListQuery(params: Record<string, string[]>): Parsed<ListQuery> {
  const problems: FieldProblem[] = [];
  const one = (k: string): string | undefined => {
    const v = params[k];
    if (!v) return undefined;
    if (v.length > 1) problems.push({ field: k, message: 'give this parameter once' });
    return v[0];
  };
  for (const k of Object.keys(params)) {
    if (!(CONTROL as readonly string[]).includes(k) && !(k in FILTERS)) {
      problems.push({ field: k, message: `unknown parameter; filters: ${FILTER_FIELDS.join(', ')}; also ${CONTROL.join(', ')}` });
    }
  }
  const filters: Record<string, unknown> = {};
  for (const k of FILTER_FIELDS) {
    const raw = one(k);
    if (raw === undefined) continue;
    const parsed = FILTERS[k].safeParse(raw);
    if (parsed.success) filters[k] = parsed.data;
    else problems.push({ field: k, message: parsed.error.issues[0]?.message ?? 'invalid' });
  }

  const sortRaw = one('sort') ?? '-created_at';
  const field = sortRaw.replace(/^[-+]/, '');
  const sort = { field: field as SortField, dir: sortRaw.startsWith('-') ? ('desc' as const) : ('asc' as const) };
  if (!(SORT_FIELDS as readonly string[]).includes(field)) problems.push({ field: 'sort', message: `sort by one of ${SORT_FIELDS.join(', ')}, "-" prefix for descending` });

  let limit = DEFAULT_LIMIT;
  const limitRaw = one('limit');
  if (limitRaw !== undefined) {
    limit = Number(limitRaw);
    if (!/^\d+$/.test(limitRaw) || limit < 1 || limit > MAX_LIMIT) problems.push({ field: 'limit', message: `an integer from 1 to ${MAX_LIMIT}` });
  }

  const q = one('q')?.trim();
  if (q !== undefined && (q.length < 1 || q.length > 200)) problems.push({ field: 'q', message: 'search text of 1 to 200 characters' });

  const deleted = one('deleted') ?? 'exclude';
  if (!['exclude', 'include', 'only'].includes(deleted)) problems.push({ field: 'deleted', message: 'exclude (default), include or only' });

  let cursor: Cursor | undefined;
  const cursorRaw = one('cursor');
  if (cursorRaw !== undefined) {
    const c = decodeCursor(cursorRaw, sortRaw.replace(/^\+/, ''));
    if (typeof c === 'string') problems.push({ field: 'cursor', message: c });
    else if (field.endsWith('_at') && !PG_TIMESTAMP.test(c.v)) problems.push({ field: 'cursor', message: 'not a cursor returned by this API' });
    else cursor = c;
  }

  if (problems.length) return { ok: false, problems };
  return { ok: true, value: { filters: filters as Filters, sort, limit, q: q || undefined, deleted: deleted as ListQuery['deleted'], ...(cursor ? { cursor } : {}) } };
}
