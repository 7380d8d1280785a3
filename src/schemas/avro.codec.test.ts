import { describe, expect, it } from 'vitest';
import { encode, invalidPaths, parseSchema, readSchemaId, WireFormatError } from './avro.codec.ts';
import { schemaType } from './schema-files.ts';

describe('Confluent wire format', () => {
  const type = parseSchema({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'string' }] });

  it('frames the body with magic byte 0 and the big-endian schema id', () => {
    const buf = encode(type, 258, { a: 'x' });
    expect([...buf.subarray(0, 5)]).toEqual([0, 0, 0, 1, 2]);
    expect(readSchemaId(buf)).toBe(258);
    expect(type.fromBuffer(buf.subarray(5))).toEqual({ a: 'x' });
  });

  it('encodes records of any size, each into bytes of its own (the scratch buffer grows, nothing is shared)', () => {
    const sizes = [0, 1, 63, 64, 1_000, 70_000, 300_000, 5];
    const bufs = sizes.map((n) => encode(type, 7, { a: 'é'.repeat(n) }));
    bufs.forEach((buf, i) => {
      expect(readSchemaId(buf)).toBe(7);
      expect(type.fromBuffer(buf.subarray(5))).toEqual({ a: 'é'.repeat(sizes[i]!) });
      expect(buf.length).toBe(5 + type.toBuffer({ a: 'é'.repeat(sizes[i]!) }).length);
    });
  });

  it('throws on a value its type cannot write, as toBuffer() does', () => {
    expect(() => encode(type, 7, { a: 42 })).toThrow();
  });

  it('rejects bytes that are not in the wire format', () => {
    expect(() => readSchemaId(Buffer.from('{"json":true}'))).toThrow(WireFormatError);
  });
});

describe('the CrmEvent schema', () => {
  it('names the paths of invalid fields', () => {
    const paths = invalidPaths(schemaType('crm-event'), { event_id: 'e', tenant_id: 't', type: 'lead.created', entity_id: 1 });
    expect(paths).toContain('entity_id');
    expect(paths).toContain('occurred_at');
  });
});
