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

  it('throws on a value the type rejects, like encode()', () => {
    const framed = createFramedEncoder(type, 1);
    expect(() => framed({ id: 5, n: null })).toThrow();
  });
});
