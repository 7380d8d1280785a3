// patches/postgres+3.4.9.patch sends Buffer parameters in binary format: bytea as raw bytes, and text[] / int[] written
// by binaryTextArray / binaryInt4Array (src/infra/postgres.ts). These check the bytes arrive
// unchanged next to text parameters, in every position, prepared or not, and that non-bytea parameters are untouched.
// The same patch writes a prepared statement's large Bind without copying it again, and copies a bytea into the message
// in place: checked with several MB of parameters, bytea and text interleaved, executed prepared many times over.
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgres, int4ArrayParam, PREPARED, textArrayParam } from '../../src/infra/postgres.ts';
import { testConfig } from '../support/helpers.ts';

const sql = createPostgres(testConfig(), { max: 1 });
afterAll(async () => {
  await sql.end({ timeout: 5 });
});

describe('bytea parameters in binary format', () => {
  it('round-trips empty, small, every-byte and 2 MB buffers beside text and null parameters', async () => {
    const every = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    for (const b of [Buffer.alloc(0), Buffer.from([0]), every, randomBytes(2 * 1024 * 1024)]) {
      const [row] = await sql.unsafe<{ t: string; b: Buffer; n: null; len: number }[]>(
        'select $1::text as t, $2::bytea as b, $3::text as n, length($2::bytea) as len', ['a\\b"c', b, null] as never,
      );
      expect(row!.t).toBe('a\\b"c');
      expect(row!.n).toBeNull();
      expect(row!.len).toBe(b.length);
      expect(Buffer.compare(row!.b, b)).toBe(0);
    }
  });

  it('works through tagged templates (prepared statements) and slices of a larger buffer', async () => {
    const big = randomBytes(1000);
    const slice = big.subarray(100, 300);
    for (let i = 0; i < 3; i++) {
      const [row] = await sql<{ b: Buffer; s: string }[]>`select ${slice}::bytea as b, substring(${big}::bytea from 101 for 200) = ${slice}::bytea as s`;
      expect(Buffer.compare(row!.b, slice)).toBe(0);
      expect(row!.s).toBe(true);
    }
  });

  it('round-trips MBs of interleaved bytea and text parameters through a prepared statement, run after run', async () => {
    const q = 'select $1::bytea as a, $2::text as t, $3::bytea as b, $4::text as u, md5($1::bytea) as ma, md5($3::bytea) as mb';
    for (let i = 0; i < 4; i++) {
      const a = randomBytes(300_000 + i);
      const b = randomBytes(1_500_000 + 7 * i);
      const t = `é${'x'.repeat(100_000)}${i}`;
      const u = `{"n":${i}}`;
      const [row] = await sql.unsafe<{ a: Buffer; t: string; b: Buffer; u: string; ma: string; mb: string }[]>(q, [a, t, b, u] as never, { prepare: true });
      expect(Buffer.compare(row!.a, a)).toBe(0);
      expect(Buffer.compare(row!.b, b)).toBe(0);
      expect(row!.t).toBe(t);
      expect(row!.u).toBe(u);
      const md5 = (x: Buffer) => createHash('md5').update(x).digest('hex');
      expect([row!.ma, row!.mb]).toEqual([md5(a), md5(b)]);
    }
    const [prepared] = await sql<{ n: number }[]>`select count(*)::int as n from pg_prepared_statements where statement = ${q}`;
    expect(prepared!.n).toBe(1);
  });
});

describe('text[] and int[] parameters in binary format', () => {
  const texts = ['plain', null, '', 'quote " and backslash \\ and {,} and NULL', 'é☃😀', 'ü'.repeat(200), '\t\n'];
  const ints = [1, null, 0, -2_147_483_648, 2_147_483_647];

  it('unnest to exactly the values given, prepared and not, beside a bytea and a text parameter', async () => {
    for (const options of [undefined, PREPARED, PREPARED]) {
      const rows = await sql.unsafe<{ t: string | null; i: number | null; b: Buffer; x: string }[]>(
        'select t, i, $3::bytea as b, $4::text as x from unnest($1::text[], $2::int[]) with ordinality as u(t, i, n) order by n',
        [textArrayParam(sql, texts), int4ArrayParam(sql, [...ints, null, null]), Buffer.from([0, 1, 255]), 'side'] as never,
        options,
      );
      expect(rows.map((r) => r.t)).toEqual(texts);
      expect(rows.map((r) => r.i)).toEqual([...ints, null, null]);
      expect(rows.every((r) => r.b.equals(Buffer.from([0, 1, 255])) && r.x === 'side')).toBe(true);
    }
  });

  it('send an empty array, and 500 x 40 columns like an entity chunk', async () => {
    const [empty] = await sql.unsafe<{ n: number | null }[]>('select cardinality($1::text[]) as n', [textArrayParam(sql, [])] as never);
    expect(empty!.n).toBe(0);
    const cols = Array.from({ length: 40 }, (_, c) => Array.from({ length: 500 }, (_, r) => (r % 7 === c % 7 ? null : `c${c}-r${r}-${'é'.repeat(r % 5)}`)));
    const list = cols.map((_, c) => `$${c + 1}::text[]`).join(', ');
    const names = cols.map((_, c) => `c${c}`).join(', ');
    const rows = await sql.unsafe<Record<string, string | null>[]>(`select * from unnest(${list}) as u(${names})`, cols.map((c) => textArrayParam(sql, c)) as never, PREPARED);
    expect(rows).toHaveLength(500);
    for (const r of [0, 1, 250, 499]) expect(cols.map((_, c) => rows[r]![`c${c}`])).toEqual(cols.map((col) => col[r]));
  });
});
