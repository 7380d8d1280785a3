// Thin adapter over postgres.js. Errors are classified here by SQLSTATE (never by message text).
import postgres from 'postgres';
import type { Config } from '../config.ts';

export type Sql = postgres.Sql<Record<string, never>>;
export type TransactionSql = postgres.TransactionSql<Record<string, never>>;

export function createPostgres(
  cfg: Pick<Config, 'DATABASE_URL' | 'DATABASE_POOL_MAX'>,
  options: { applicationName?: string; max?: number } = {},
): Sql {
  return postgres(cfg.DATABASE_URL, {
    max: options.max ?? cfg.DATABASE_POOL_MAX,
    connection: { application_name: options.applicationName ?? 'inflow' },
    onnotice: () => {}, // "relation already exists, skipping" and friends are not news
    idle_timeout: 30,
    connect_timeout: 10,
    transform: { undefined: null },
  });
}

/**
 * Retriable: the server is going away or unreachable, a serialization failure or deadlock, too many connections.
 * Everything else (constraint, syntax, data) is deterministic and retrying it cannot help.
 */
export function isRetriablePgError(err: unknown): boolean {
  const e = err as { code?: string; errno?: string } | undefined;
  const code = e?.code;
  if (!code) return false;
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT'].includes(code)) {
    return true;
  }
  // SQLSTATE classes: 08 connection exception, 53 insufficient resources, 57P0x operator intervention (shutdown), 40001/40P01.
  return /^(08|53)/.test(code) || /^57P0[1-3]$/.test(code) || code === '40001' || code === '40P01';
}

/** Refuses destructive test helpers on a database whose name does not end in _test. */
export function assertTestDatabase(databaseUrl: string): void {
  const name = new URL(databaseUrl).pathname.replace(/^\//, '');
  if (!name.endsWith('_test')) throw new Error(`refusing a destructive test helper on database "${name}": its name must end in _test`);
}

const NEEDS_ARRAY_ESCAPE = /["\\]/;

/**
 * A Postgres text[] literal, for a batch's column passed to `unnest($n::text[])`. The driver escapes every element
 * with two regex replaces (~50 µs per 40-column row, measured); this tests once and escapes only the rare value that
 * needs it. The driver passes a string through unchanged for an array-typed parameter.
 */
/**
 * Options for a hot `unsafe` statement whose text comes from a fixed set: postgres.js's `unsafe` defaults to
 * `prepare: false`, which sends every execution as Parse + Describe, waits for the parameter types (a round trip),
 * then binds, and Postgres parses and plans the statement each time. Prepared, it is parsed once per connection.
 * Never for text built from user input (a filter): each distinct text would be one more statement per connection.
 */
export const PREPARED = { prepare: true } as const;

/**
 * Index probes only, for the rest of this transaction. The pipeline's statements join a chunk's keys (hundreds) to
 * tables of millions of rows through their primary keys; with stale statistics (a table or day partition that grew,
 * or was emptied by deletes, since it was last analyzed) the planner believes the big side is tiny and hashes or
 * sorts all of it for every chunk: measured 56 ms instead of 1.5 ms for a 500-row upsert against 100 000 leads, 226 ms
 * instead of 4.9 ms for a processed_events lookup. Seq scans, hash and merge joins cost as disabled here, so the
 * nested loop over the chunk with an index probe per key is chosen whatever the statistics say.
 */
export async function useKeyedPlans(tx: TransactionSql): Promise<void> {
  await tx.unsafe(
    `select set_config('enable_seqscan', $1, true), set_config('enable_hashjoin', $1, true), set_config('enable_mergejoin', $1, true) -- pipeline.plans.keyed`,
    ['off'],
    PREPARED, // prepared once per connection like the statements it serves (no arguments would mean a simple query each time)
  );
}

/** A unique key already there (SQLSTATE 23505). */
export const isUniqueViolation = (err: unknown): boolean => (err as { code?: unknown } | undefined)?.code === '23505';

/** One field of COPY's text format: \N for null, objects as JSON, Buffers as their UTF-8 text; \, tab, LF, CR escaped. */
export function copyField(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const text = Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'object' ? JSON.stringify(v) : String(v);
  return text.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r');
}

export function textArray(values: readonly (string | null | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ',';
    const v = values[i];
    if (v === null || v === undefined) out += 'NULL';
    else out += '"' + (NEEDS_ARRAY_ESCAPE.test(v) ? v.replace(/["\\]/g, '\\$&') : v) + '"';
  }
  return out + '}';
}

/**
 * Many byte strings (or texts, as UTF-8) as one bytea parameter, cut in SQL by `substring($n::bytea from at for len)`
 * (`at` counts from 1; a null value has null `at` and `len`). With the driver's binary bytea (patches/postgres+3.4.9)
 * the bytes go as they are: no quoting or escaping in Node, no array-literal parsing in Postgres. `at` and `len` are
 * int[] literals.
 */
export interface PackedBytes {
  bytes: Buffer;
  at: string;
  len: string;
}

export function packBytes(values: readonly (Buffer | string | null | undefined)[]): PackedBytes {
  const sizes = values.map((v) => (v === null || v === undefined ? -1 : typeof v === 'string' ? Buffer.byteLength(v) : v.length));
  const bytes = Buffer.allocUnsafe(sizes.reduce((a, n) => a + Math.max(n, 0), 0));
  const at: string[] = new Array<string>(values.length);
  const len: string[] = new Array<string>(values.length);
  let o = 0;
  values.forEach((v, i) => {
    const n = sizes[i]!;
    if (v === null || v === undefined) return void (at[i] = len[i] = 'NULL');
    if (typeof v === 'string') bytes.write(v, o, n, 'utf8');
    else v.copy(bytes, o);
    at[i] = String(o + 1);
    len[i] = String(n);
    o += n;
  });
  return { bytes, at: `{${at.join(',')}}`, len: `{${len.join(',')}}` };
}
