import { describe, expect, it } from 'vitest';
import { textArray } from './postgres.ts';

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
