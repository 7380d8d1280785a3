// Structured contact filters -> parameterized SQL. Column names come only from the allow-list below,
// values only travel as $n parameters; every invalid part of a filter is reported with its path.

export type FieldKind = 'text' | 'tags' | 'time' | 'bool';

/** Filterable fields -> SQL expression (fixed text, never user input) and kind. */
export const FILTER_FIELDS: Record<string, { sql: string; kind: FieldKind }> = {
  id: { sql: 'c.id', kind: 'text' },
  first_name: { sql: 'c.first_name', kind: 'text' },
  last_name: { sql: 'c.last_name', kind: 'text' },
  email: { sql: 'c.email', kind: 'text' },
  phone: { sql: 'c.phone', kind: 'text' },
  company: { sql: 'c.company', kind: 'text' },
  title: { sql: 'c.title', kind: 'text' },
  country: { sql: 'c.country', kind: 'text' },
  owner_id: { sql: 'c.owner_id', kind: 'text' },
  status: { sql: 'c.status', kind: 'text' },
  tags: { sql: 'c.tags', kind: 'tags' },
  created_at: { sql: 'c.created_at', kind: 'time' },
  updated_at: { sql: 'c.updated_at', kind: 'time' },
  deleted: { sql: '(c.deleted_at is not null)', kind: 'bool' },
};

const OPS: Record<FieldKind, readonly string[]> = {
  text: ['eq', 'neq', 'in', 'not_in', 'contains', 'starts_with', 'is_null', 'not_null'],
  tags: ['has', 'has_any', 'has_all', 'has_none', 'is_empty'],
  time: ['gt', 'gte', 'lt', 'lte', 'is_null', 'not_null'],
  bool: ['eq'],
};

export const MAX_FILTER_DEPTH = 5; // deeper trees are a sign of generated junk, not an ops filter
export const MAX_FILTER_CONDITIONS = 100;
const MAX_VALUE_LENGTH = 1000;
const MAX_LIST = 1000;

export type Filter = { and: Filter[] } | { or: Filter[] } | { not: Filter } | { field: string; op: string; value?: unknown };

export interface CompiledFilter {
  /** A boolean SQL expression over alias `c` with $n placeholders starting at the given offset. */
  text: string;
  params: unknown[];
  /** True when the filter itself mentions `deleted` (so no implicit deleted_at condition is added). */
  mentionsDeleted: boolean;
}

export type CompileResult = { ok: true; filter: CompiledFilter } | { ok: false; errors: string[] };

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (m) => `\\${m}`);

/** Compiles a filter; `firstParam` is the number of the first $n placeholder it may use. */
export function compileFilter(input: unknown, firstParam = 1, path = 'filter'): CompileResult {
  const errors: string[] = [];
  const params: unknown[] = [];
  let conditions = 0;
  let mentionsDeleted = false;
  const param = (v: unknown, cast: string) => {
    params.push(v);
    return `$${firstParam + params.length - 1}::${cast}`;
  };

  const walk = (node: unknown, p: string, depth: number): string => {
    if (depth > MAX_FILTER_DEPTH) {
      errors.push(`${p}: nested deeper than ${MAX_FILTER_DEPTH} levels`);
      return 'false';
    }
    if (typeof node !== 'object' || node === null || Array.isArray(node)) {
      errors.push(`${p}: must be an object {field, op, value} or {and|or: [...]} or {not: {...}}`);
      return 'false';
    }
    const obj = node as Record<string, unknown>;
    const keys = Object.keys(obj);
    for (const group of ['and', 'or'] as const) {
      if (group in obj) {
        if (keys.length !== 1) errors.push(`${p}: "${group}" must be the only key, got ${keys.join(', ')}`);
        const items = obj[group];
        if (!Array.isArray(items) || items.length === 0) {
          errors.push(`${p}.${group}: must be a non-empty array`);
          return 'false';
        }
        const parts = items.map((item, i) => walk(item, `${p}.${group}[${i}]`, depth + 1));
        return `(${parts.join(group === 'and' ? ' and ' : ' or ')})`;
      }
    }
    if ('not' in obj) {
      if (keys.length !== 1) errors.push(`${p}: "not" must be the only key, got ${keys.join(', ')}`);
      return `(not coalesce(${walk(obj.not, `${p}.not`, depth + 1)}, false))`;
    }
    conditions += 1;
    if (conditions === MAX_FILTER_CONDITIONS + 1) errors.push(`${p}: more than ${MAX_FILTER_CONDITIONS} conditions`);
    const unknownKeys = keys.filter((k) => !['field', 'op', 'value'].includes(k));
    if (unknownKeys.length) errors.push(`${p}: unknown key(s) ${unknownKeys.map((k) => JSON.stringify(k)).join(', ')}`);
    const { field, op, value } = obj;
    const def = typeof field === 'string' && Object.hasOwn(FILTER_FIELDS, field) ? FILTER_FIELDS[field] : undefined;
    if (!def) {
      errors.push(`${p}.field: unknown field ${JSON.stringify(field)}; allowed: ${Object.keys(FILTER_FIELDS).join(', ')}`);
      return 'false';
    }
    if (field === 'deleted') mentionsDeleted = true;
    const ops = OPS[def.kind];
    if (typeof op !== 'string' || !ops.includes(op)) {
      errors.push(`${p}.op: unknown operator ${JSON.stringify(op)} for ${String(field)}; allowed: ${ops.join(', ')}`);
      return 'false';
    }
    return condition(def, op, value, `${p}.value`);
  };

  const str = (v: unknown, p: string): string | undefined => {
    if (typeof v !== 'string' || v.length > MAX_VALUE_LENGTH) {
      errors.push(`${p}: must be a string of at most ${MAX_VALUE_LENGTH} characters`);
      return undefined;
    }
    return v;
  };
  const list = (v: unknown, p: string): string[] | undefined => {
    if (!Array.isArray(v) || v.length === 0 || v.length > MAX_LIST || v.some((x) => typeof x !== 'string' || x.length > MAX_VALUE_LENGTH)) {
      errors.push(`${p}: must be a non-empty array of at most ${MAX_LIST} strings`);
      return undefined;
    }
    return v as string[];
  };
  const noValue = (v: unknown, p: string) => {
    if (v !== undefined) errors.push(`${p}: this operator takes no value`);
  };

  const condition = (def: { sql: string; kind: FieldKind }, op: string, value: unknown, p: string): string => {
    const col = def.sql;
    switch (op) {
      case 'is_null':
        noValue(value, p);
        return `${col} is null`;
      case 'not_null':
        noValue(value, p);
        return `${col} is not null`;
      case 'is_empty':
        noValue(value, p);
        return `cardinality(${col}) = 0`;
    }
    if (def.kind === 'bool') {
      if (typeof value !== 'boolean') {
        errors.push(`${p}: must be true or false`);
        return 'false';
      }
      return `${col} = ${param(value, 'boolean')}`;
    }
    if (def.kind === 'time') {
      const s = str(value, p);
      if (s !== undefined && Number.isNaN(Date.parse(s))) errors.push(`${p}: must be an ISO 8601 timestamp`);
      const sym = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[op as 'gt'];
      return `${col} ${sym} ${param(s ?? null, 'timestamptz')}`;
    }
    if (def.kind === 'tags') {
      if (op === 'has') return `${col} @> array[${param(str(value, p) ?? null, 'text')}]`;
      const l = list(value, p) ?? [];
      if (op === 'has_any') return `${col} && ${param(l, 'text[]')}`;
      if (op === 'has_all') return `${col} @> ${param(l, 'text[]')}`;
      return `not (${col} && ${param(l, 'text[]')})`;
    }
    switch (op) {
      case 'eq':
        return `${col} = ${param(str(value, p) ?? null, 'text')}`;
      case 'neq':
        return `${col} is distinct from ${param(str(value, p) ?? null, 'text')}`;
      case 'in':
        return `${col} = any(${param(list(value, p) ?? [], 'text[]')})`;
      case 'not_in':
        return `not (${col} = any(${param(list(value, p) ?? [], 'text[]')}))`;
      case 'contains':
        return `${col} ilike ${param(`%${escapeLike(str(value, p) ?? '')}%`, 'text')}`;
      default: // starts_with
        return `${col} ilike ${param(`${escapeLike(str(value, p) ?? '')}%`, 'text')}`;
    }
  };

  const text = walk(input, path, 0);
  if (errors.length) return { ok: false, errors };
  return { ok: true, filter: { text, params, mentionsDeleted } };
}

/** The implicit deleted_at condition: restore targets deleted contacts, every other action live ones. */
export function deletedCondition(action: string, compiled: CompiledFilter): string {
  if (compiled.mentionsDeleted) return 'true';
  return action === 'restore' ? 'c.deleted_at is not null' : 'c.deleted_at is null';
}
