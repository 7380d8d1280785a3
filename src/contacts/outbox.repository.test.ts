import { describe, expect, it } from 'vitest';
import { invalidPaths } from '../schemas/avro.codec.ts';
import { schemaType } from '../schemas/schema-files.ts';
import type { ContactRow } from './contacts.schema.ts';
import { apiWriteRecords } from './outbox.repository.ts';

const row: ContactRow = {
  tenant_id: 't1',
  id: 'c1',
  version: '4',
  created_at: new Date('2026-01-01T00:00:00Z'),
  updated_at: new Date('2026-01-02T00:00:00Z'),
  deleted_at: new Date('2026-01-02T00:00:00Z'),
  first_name: 'Ada',
  last_name: null,
  email: 'ada@example.com',
  phone: null,
  company: null,
  title: null,
  country: null,
  owner_id: null,
  status: 'active',
  tags: [],
  lead_id: null,
  metadata: {},
};

describe('apiWriteRecords', () => {
  const records = apiWriteRecords({ tenantId: 't1', op: 'delete', row, requestId: 'r1', receivedAt: 1000, committedAt: 2000, salt: Buffer.from('salt') });

  it('builds a valid Avro Change and Outcome with ids fixed by the request id', () => {
    expect(invalidPaths(schemaType('change'), records.change)).toEqual([]);
    expect(invalidPaths(schemaType('outcome'), records.outcome)).toEqual([]);
    expect(records.change).toMatchObject({ change_id: 'api-r1', op: 'delete', version: 4, cause_kind: 'api', cause_id: 'r1', committed_at: 2000 });
    expect(records.outcome).toMatchObject({ outcome_id: 'api-r1', kind: 'api', type: 'contact.delete', status: 'applied', entity_version: 4, received_at: 1000 });
  });

  it('hashes PII with the tenant salt and never carries the clear email in the outcome', () => {
    expect(records.outcome.email_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(records.outcome.phone_hash).toBeNull();
    expect(JSON.stringify(records.outcome)).not.toContain('ada@example.com');
    const other = apiWriteRecords({ tenantId: 't1', op: 'delete', row, requestId: 'r1', receivedAt: 1000, committedAt: 2000, salt: Buffer.from('other') });
    expect(other.outcome.email_hash).not.toBe(records.outcome.email_hash);
  });
});
