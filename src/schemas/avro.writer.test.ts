// The compiled writer must write exactly what avsc writes, for every schema inflow registers, and fail where it fails.
import { describe, expect, it } from 'vitest';
import { parseSchema } from './avro.codec.ts';
import { compileAvroWriter } from './avro.writer.ts';
import { schemaType, type SchemaName } from './schema-files.ts';

const SCHEMAS: SchemaName[] = ['crm-event', 'outcome', 'change', 'bulk-chunk'];

function written(write: NonNullable<ReturnType<typeof compileAvroWriter>>, value: unknown, size = 1 << 20): Buffer {
  const buf = Buffer.alloc(size);
  const end = write(value, buf, 0);
  expect(end).toBeGreaterThanOrEqual(0);
  return buf.subarray(0, end);
}

describe('compileAvroWriter', () => {
  it.each(SCHEMAS)('writes the bytes avsc writes for 500 random %s values', (name) => {
    const type = schemaType(name);
    const write = compileAvroWriter(type);
    expect(write, `${name} compiles`).toBeDefined();
    for (let i = 0; i < 500; i++) {
      const value = type.random();
      expect(written(write!, value).equals(type.toBuffer(value)), JSON.stringify(value)).toBe(true);
    }
  });

  it('writes a string field given as UTF-8 bytes exactly as the string (an entity JSON straight from Postgres)', () => {
    const type = schemaType('change');
    const write = compileAvroWriter(type)!;
    for (let i = 0; i < 100; i++) {
      const value = type.random() as unknown as Record<string, unknown>;
      value.entity_json = JSON.stringify({ id: `l-${i}`, name: `Zoë ${'ü'.repeat(i)}`, n: i });
      const asBytes = { ...value, entity_json: Buffer.from(value.entity_json as string) };
      expect(written(write, asBytes).equals(type.toBuffer(value))).toBe(true);
    }
    expect(() => written(write, { ...(type.random() as unknown as object), entity_json: 42 })).toThrow();
  });

  const t = parseSchema({
    type: 'record',
    name: 'T',
    fields: [
      { name: 's', type: 'string' },
      { name: 'n', type: 'long' },
      { name: 'i', type: ['null', 'int'], default: null },
      { name: 'b', type: ['boolean', 'null'] },
      { name: 'd', type: ['null', 'double'], default: null },
      { name: 'tags', type: ['null', { type: 'array', items: 'string' }], default: null },
      { name: 'm', type: { type: 'map', values: 'string' }, default: {} },
      { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'B'] }, default: 'B' },
      { name: 'f', type: 'float', default: 1.5 },
      { name: 'raw', type: ['null', 'bytes'], default: null },
    ],
  });
  const write = compileAvroWriter(t)!;
  const base = { s: 'x', n: 1, i: null, b: true, d: null, tags: null, m: {}, e: 'A', f: 0.25, raw: null };

  it('writes strings of every length around the one-pass ASCII path, multi-byte and astral ones', () => {
    const strings = [
      ...Array.from({ length: 140 }, (_, n) => 'x'.repeat(n)),
      'Grüße aus Köln', '€'.repeat(30), '😀'.repeat(20), `${'a'.repeat(62)}é`, `${'a'.repeat(63)}é`, `é${'a'.repeat(70)}`, '\u007f\u0080', 'tab\tnew\nline', '',
      `${'ab'.repeat(5)}${'cd'.repeat(3)}`, // a cons string
    ];
    for (const s of strings) {
      const v = { ...base, s, m: { [s]: s }, tags: [s, s] };
      expect(written(write, v).equals(t.toBuffer(v)), JSON.stringify(s)).toBe(true);
    }
  });

  it('writes longs across the integer and float ranges of the zigzag varint', () => {
    const longs = [0, 1, -1, 63, -64, 64, 8191, -8192, 2 ** 30 - 1, -(2 ** 30), 2 ** 30, -(2 ** 30) - 1, 2 ** 31, 2 ** 35 + 7, Date.now(), -Date.now(), 2 ** 53 - 2, -(2 ** 53) + 2];
    for (const n of longs) {
      const v = { ...base, n, i: n === (n | 0) ? n : null };
      expect(written(write, v).equals(t.toBuffer(v)), String(n)).toBe(true);
    }
  });

  it('writes a field default when the value leaves the field undefined, as avsc does', () => {
    const v = { s: 'x', n: 2, b: null };
    expect(written(write, v).equals(t.toBuffer(v))).toBe(true);
  });

  it('writes doubles, floats, enums, bytes and filled maps and arrays', () => {
    const v = { ...base, d: -1234.5678, f: 3.5, e: 'B', raw: Buffer.from([0, 1, 255]), tags: ['a', 'b', 'c'], m: { a: '1', b: '2', 'ü': 'ö' } };
    expect(written(write, v).equals(t.toBuffer(v))).toBe(true);
  });

  it('throws where avsc throws: a wrong type, a missing field without default, an unsafe long, an unknown symbol', () => {
    const bad = [
      { ...base, s: 5 },
      { ...base, s: undefined },
      { ...base, n: 1.5 },
      { ...base, n: 2 ** 60 },
      { ...base, i: 2 ** 40 },
      { ...base, b: 'yes' },
      { ...base, e: 'C' },
      { ...base, tags: 'a' },
      { ...base, tags: ['a', 1] },
      { ...base, m: { a: 1 } },
      { ...base, m: ['a'] },
      { ...base, raw: 'bytes' },
      null,
    ];
    for (const v of bad) {
      expect(() => t.toBuffer(v), JSON.stringify(v)).toThrow();
      expect(() => write(v, Buffer.alloc(4096), 0), JSON.stringify(v)).toThrow(/invalid value at/);
    }
    // stricter than avsc, which looks symbols up in a plain object and so takes inherited names
    expect(() => write({ ...base, e: 'toString' }, Buffer.alloc(4096), 0)).toThrow(/invalid value at e/);
    expect(() => write({ ...base, n: 2 ** 53 - 1 }, Buffer.alloc(4096), 0)).toThrow(/invalid value at n/);
  });

  it('answers -1 for a buffer too short at every length, and writes nothing past its end', () => {
    // -1 may come up to 10 bytes early (a varint's room is reserved before each length or number)
    const v = { ...base, s: 'é'.repeat(40), tags: ['x'.repeat(100)], m: { k: 'v'.repeat(70) }, d: 2.5, raw: Buffer.alloc(30, 7) };
    const full = t.toBuffer(v);
    for (let n = 0; n < full.length; n++) {
      const backing = Buffer.alloc(full.length + 16, 0xee);
      expect(write(v, backing.subarray(0, n), 0), `length ${n}`).toBe(-1);
      expect(backing.subarray(n).every((b) => b === 0xee), `untouched past ${n}`).toBe(true);
    }
    const roomy = Buffer.alloc(full.length + 10);
    expect(write(v, roomy, 0)).toBe(full.length);
    expect(roomy.subarray(0, full.length).equals(full)).toBe(true);
  });

  it('writes at an offset and returns the end position', () => {
    const buf = Buffer.alloc(256, 0xaa);
    const end = write(base, buf, 5);
    expect(buf.subarray(5, end).equals(t.toBuffer(base))).toBe(true);
    expect(buf.subarray(0, 5).every((b) => b === 0xaa)).toBe(true);
  });

  it('declines schemas it does not cover, so the caller keeps avsc', () => {
    expect(compileAvroWriter(parseSchema(['null', 'string', 'long']))).toBeUndefined();
    expect(compileAvroWriter(parseSchema({ type: 'fixed', name: 'F', size: 4 }))).toBeUndefined();
    expect(compileAvroWriter(parseSchema({ type: 'record', name: 'L', fields: [{ name: 'next', type: ['null', 'L'] }] }))).toBeUndefined();
  });
});
