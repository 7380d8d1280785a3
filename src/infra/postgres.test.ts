import { describe, expect, it } from 'vitest';
import { binaryInt4Array, binaryTextArray, copyField, packBytes } from './postgres.ts';

describe('binaryTextArray', () => {
  it('writes array_recv\'s layout: one dimension, the null flag, text elements with their UTF-8 byte lengths', () => {
    const b = binaryTextArray(['a', null, 'é☃', '', '{"q":"\\"}']);
    const ints = (at: number, n: number) => Array.from({ length: n }, (_, i) => b.readInt32BE(at + i * 4));
    expect(ints(0, 5)).toEqual([1, 1, 25, 5, 1]); // ndim, has nulls, text, 5 elements, lower bound 1
    let at = 20;
    const elements: (string | null)[] = [];
    while (at < b.length) {
      const n = b.readInt32BE(at);
      elements.push(n < 0 ? null : b.subarray(at + 4, at + 4 + n).toString('utf8'));
      at += 4 + Math.max(n, 0);
    }
    expect(elements).toEqual(['a', null, 'é☃', '', '{"q":"\\"}']); // nothing escaped: bytes as they are
    expect(at).toBe(b.length);
  });

  it('has a clear null flag without nulls, a long non-ASCII value intact, and ndim 0 when empty', () => {
    const long = 'ü'.repeat(100) + 'x';
    const b = binaryTextArray([long]);
    expect(b.readInt32BE(4)).toBe(0);
    expect(b.readInt32BE(20)).toBe(Buffer.byteLength(long));
    expect(b.subarray(24).toString('utf8')).toBe(long);
    expect([...binaryTextArray([])]).toEqual([...Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 25])]);
  });
});

describe('binaryInt4Array', () => {
  it('writes int4 elements (4 bytes each) and -1 lengths for nulls', () => {
    const b = binaryInt4Array([1, null, -7, 2_147_483_647]);
    const ints = Array.from({ length: b.length / 4 }, (_, i) => b.readInt32BE(i * 4));
    expect(ints).toEqual([1, 1, 23, 4, 1, 4, 1, -1, 4, -7, 4, 2_147_483_647]);
    expect(() => binaryInt4Array([2 ** 31])).toThrow(RangeError);
  });
});

describe('copyField', () => {
  it('writes COPY text format: \\N for null, escaped backslash, tab, newline and carriage return', () => {
    expect([null, undefined].map(copyField)).toEqual(['\\N', '\\N']);
    expect(copyField('a\\b\tc\nd\re')).toBe('a\\\\b\\tc\\nd\\re');
    expect(copyField({ k: 'v\n' })).toBe('{"k":"v\\\\n"}');
    expect(copyField(Buffer.from('\\x00ff'))).toBe('\\\\x00ff');
    expect(copyField(42)).toBe('42');
  });
});

describe('packBytes', () => {
  it('puts buffers and UTF-8 texts back to back, with 1-based offsets and byte lengths; null stays null', () => {
    const p = packBytes(['ab', null, Buffer.from([0, 255]), 'é☃', '', undefined]);
    expect(p.bytes.equals(Buffer.concat([Buffer.from('ab'), Buffer.from([0, 255]), Buffer.from('é☃')]))).toBe(true);
    expect(p.at).toEqual([1, null, 3, 5, 10, null]);
    expect(p.len).toEqual([2, null, 2, 5, 0, null]);
  });

  it('packs nothing into an empty buffer and empty arrays', () => {
    expect(packBytes([])).toEqual({ bytes: Buffer.alloc(0), at: [], len: [] });
  });
});
