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
