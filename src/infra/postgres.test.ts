import { describe, expect, it } from 'vitest';
import { copyField, packBytes, textArray } from './postgres.ts';

describe('textArray', () => {
  it('quotes every element and writes NULL for null and undefined', () => {
    expect(textArray(['a', null, 'b c', undefined, ''])).toBe('{"a",NULL,"b c",NULL,""}');
  });

  it('escapes double quotes and backslashes, the only characters special inside a quoted element', () => {
    expect(textArray(['{"k":"v"}', 'C:\\dir', 'NULL', '{,}'])).toBe('{"{\\"k\\":\\"v\\"}","C:\\\\dir","NULL","{,}"}');
  });

  it('is an empty array for no values', () => {
    expect(textArray([])).toBe('{}');
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
    expect(p.at).toBe('{1,NULL,3,5,10,NULL}');
    expect(p.len).toBe('{2,NULL,2,5,0,NULL}');
  });

  it('packs nothing into an empty buffer and empty arrays', () => {
    expect(packBytes([])).toEqual({ bytes: Buffer.alloc(0), at: '{}', len: '{}' });
  });
});
