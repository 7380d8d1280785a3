// patches/avsc+5.7.9.patch writes short ASCII strings in one pass. Avro string = zigzag varint byte length + UTF-8
// bytes; every case is checked against that definition, computed here independently of avsc.
import { describe, expect, it } from 'vitest';
import avsc from 'avsc';

const stringType = avsc.Type.forSchema('string');

function expected(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const prefix: number[] = [];
  for (let v = bytes.length * 2; ; v = Math.floor(v / 128)) {
    if (v < 0x80) {
      prefix.push(v);
      break;
    }
    prefix.push((v & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from(prefix), bytes]);
}

const cases = [
  ...Array.from({ length: 71 }, (_, n) => 'x'.repeat(n)), // both sides of the one-byte length (63 / 64)
  'Grüße aus Köln', '€'.repeat(30), '😀'.repeat(20), `${'a'.repeat(62)}é`, `${'a'.repeat(63)}é`, `é${'a'.repeat(70)}`, '\u007f\u0080', 'tab\tnew\nline',
];

describe('avsc writeString (patched)', () => {
  it('writes the Avro encoding of ASCII, multi-byte and astral strings of every length around the fast path', () => {
    for (const s of cases) expect(stringType.toBuffer(s).equals(expected(s)), JSON.stringify(s)).toBe(true);
  });

  it('reports a buffer that is too small exactly as before (negative position), and fits when it is large enough', () => {
    for (const s of ['abc', 'x'.repeat(63), 'Grüße']) {
      const need = expected(s).length;
      expect(stringType.encode(s, Buffer.alloc(need - 1), 0)).toBeLessThan(0);
      const buf = Buffer.alloc(need + 3);
      expect(stringType.encode(s, buf, 3)).toBe(need + 3);
      expect(buf.subarray(3).equals(expected(s))).toBe(true);
    }
  });

  it('round-trips a record whose strings take both paths', () => {
    const type = avsc.Type.forSchema({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }, { name: 'b', type: ['null', 'string'] }, { name: 'c', type: 'string' }] });
    const value = { a: 'ascii@example.com', b: 'Łódź', c: 'x'.repeat(200) };
    expect(type.fromBuffer(type.toBuffer(value))).toEqual(value);
  });
});
