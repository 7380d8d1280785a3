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

/**
 * Many byte strings (or texts, as UTF-8) as one bytea parameter, cut in SQL by `substring($n::bytea from at for len)`
 * (`at` counts from 1; a null value has null `at` and `len`). With the driver's binary parameters
 * (patches/postgres+3.4.9) the bytes go as they are: no quoting or escaping in Node, no array-literal parsing in
 * Postgres. `at` and `len` go as int4Array parameters.
 */
export interface PackedBytes {
  bytes: Buffer;
  at: (number | null)[];
  len: (number | null)[];
}

export function packBytes(values: readonly (Buffer | string | null | undefined)[]): PackedBytes {
  const sizes = values.map((v) => (v === null || v === undefined ? -1 : typeof v === 'string' ? Buffer.byteLength(v) : v.length));
  const bytes = Buffer.allocUnsafe(sizes.reduce((a, n) => a + Math.max(n, 0), 0));
  const at: (number | null)[] = new Array<number | null>(values.length);
  const len: (number | null)[] = new Array<number | null>(values.length);
  let o = 0;
  values.forEach((v, i) => {
    const n = sizes[i]!;
    if (v === null || v === undefined) return void (at[i] = len[i] = null);
    if (typeof v === 'string') bytes.write(v, o, n, 'utf8');
    else v.copy(bytes, o);
    at[i] = o + 1;
    len[i] = n;
    o += n;
  });
  return { bytes, at, len };
}

// Binary array parameters (Postgres's array_recv format), for a batch's columns passed to `unnest($n::text[])`:
// the values are copied into one buffer as they are, with no array-literal quoting in Node and no literal parsing in
// Postgres. The driver sends a Buffer parameter in binary (patches/postgres+3.4.9); `typed` gives Parse the array's
// type, so `$n::text[]` receives exactly this. Layout: ndim, has-nulls flag, element type oid, then per dimension
// its length and lower bound (1), then each element as an int32 byte length (-1 for NULL) and its bytes.
const TEXT_OID = 25;
const INT4_OID = 23;
const TEXT_ARRAY_OID = 1009;
const INT4_ARRAY_OID = 1007;
type NodeBuffer = Buffer & { utf8Write(s: string, offset: number, length: number): number };

function arrayHeader(buf: Buffer, count: number, elementOid: number): number {
  if (count === 0) {
    buf.writeInt32BE(0, 0); // ndim 0: the empty array
    buf.writeInt32BE(0, 4);
    buf.writeInt32BE(elementOid, 8);
    return 12;
  }
  buf.writeInt32BE(1, 0);
  buf.writeInt32BE(0, 4); // has nulls: set at the end
  buf.writeInt32BE(elementOid, 8);
  buf.writeInt32BE(count, 12);
  buf.writeInt32BE(1, 16);
  return 20;
}

/** One-dimensional array of non-null elements written by writeElement (which returns where it stopped). */
function binaryArray<T>(
  values: readonly (T | null | undefined)[], elementOid: number, maxBytes: (v: T) => number, writeElement: (buf: NodeBuffer, v: T, at: number, end: number) => number,
): Buffer {
  let max = 20;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    max += 4 + (v === null || v === undefined ? 0 : maxBytes(v));
  }
  const buf = Buffer.allocUnsafe(max) as NodeBuffer;
  let pos = arrayHeader(buf, values.length, elementOid);
  let nulls = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || v === undefined) {
      buf.writeInt32BE(-1, pos);
      pos += 4;
      nulls = 1;
      continue;
    }
    const end = writeElement(buf, v, pos + 4, max);
    buf.writeInt32BE(end - pos - 4, pos);
    pos = end;
  }
  if (values.length > 0) buf.writeInt32BE(nulls, 4);
  return buf.subarray(0, pos);
}

function writeText(buf: NodeBuffer, v: string, start: number, end: number): number {
  // short ASCII (ids, names, codes, timestamps) byte by byte: cheaper than a call into C++ for each value
  const n = v.length;
  let p = start;
  let j = 0;
  if (n < 64) {
    for (; j < n; j++) {
      const c = v.charCodeAt(j);
      if (c > 127) break;
      buf[p++] = c;
    }
  }
  return j < n ? start + buf.utf8Write(v, start, end - start) : p;
}

/** A text[] in binary form. */
export const binaryTextArray = (values: readonly (string | null | undefined)[]): Buffer =>
  binaryArray(values, TEXT_OID, (v) => v.length * 3, writeText); // UTF-8: at most 3 bytes a UTF-16 unit

/** An int4[] in binary form; a value outside int4 throws, as Postgres would refuse it. */
export const binaryInt4Array = (values: readonly (number | null | undefined)[]): Buffer =>
  binaryArray(values, INT4_OID, () => 4, (buf, v, at) => buf.writeInt32BE(v, at));

/** A batch's text column as one `$n::text[]` parameter. */
export const textArrayParam = (sql: Sql | TransactionSql, values: readonly (string | null | undefined)[]) => sql.typed(binaryTextArray(values), TEXT_ARRAY_OID);
/** A batch's int column as one `$n::int[]` parameter. */
export const int4ArrayParam = (sql: Sql | TransactionSql, values: readonly (number | null | undefined)[]) => sql.typed(binaryInt4Array(values), INT4_ARRAY_OID);
