import { describe, expect, it } from 'vitest';
import { encode, parseSchema } from './avro.codec.ts';
import { createFramedEncoder } from './framed.encoder.ts';

const type = parseSchema({ type: 'record', name: 'T', fields: [{ name: 'id', type: 'string' }, { name: 'n', type: ['null', 'long'] }] });

describe('createFramedEncoder', () => {
  it('writes the same bytes as encode(), for small and slab-sized values, and keeps earlier messages intact', () => {
    const framed = createFramedEncoder(type, 42);
    const values = Array.from({ length: 3_000 }, (_, i) => ({ id: i % 97 === 0 ? 'x'.repeat(10_000 + i) : `id-${i}`, n: i % 2 ? i : null }));
    const out = values.map((v) => framed(v));
    values.forEach((v, i) => expect(out[i]!.equals(encode(type, 42, v)), `value ${i}`).toBe(true));
    const huge = { id: 'y'.repeat(200_000), n: 1 };
    expect(framed(huge).equals(encode(type, 42, huge))).toBe(true);
  });

  it('starts a fresh slab for a record that does not fit what is left, instead of a buffer of its own', () => {
    const framed = createFramedEncoder(type, 7);
    // ~2 KB records (a change with its entity): 32 fit a slab, and the 1.3 KB left is too short but over MIN_FREE
    const values = Array.from({ length: 500 }, (_, i) => ({ id: 'z'.repeat(2_000 + (i % 7)), n: i }));
    const out = values.map((v) => framed(v));
    expect(out.every((b) => b.buffer.byteLength === 64 * 1024)).toBe(true);
    values.forEach((v, i) => expect(out[i]!.equals(encode(type, 7, v)), `value ${i}`).toBe(true));
  });

  it('throws on a value the type rejects, like encode()', () => {
    const framed = createFramedEncoder(type, 1);
    expect(() => framed({ id: 5, n: null })).toThrow();
  });
});
