// The seed clients' contracts: seed 002 (/api/auth, camelCase /api/contacts, its error object) and seed 004 (/auth, /contacts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, type TestApi } from '../accounts/api.support.ts';
import { unique } from '../support/helpers.ts';

let t: TestApi;
beforeAll(async () => {
  t = await createTestApi();
});
afterAll(() => t.close());

describe('seed 002: /api/auth and /api/contacts', () => {
  it('logs in, does CRUD in camelCase with versions, and reports errors in the seed error object', async () => {
    const email = `${unique('s2')}@example.com`;
    await t.call('POST', '/auth/register', { body: { email, password: 'seed two password', account: 'Acme CRM' } });
    const login = await t.call('POST', '/api/auth/login', { body: { username: email, password: 'seed two password' } });
    expect(login.status).toBe(200);
    const token = login.body.token as string;

    const created = await t.call('POST', '/api/contacts', { token, body: { firstName: 'John', lastName: 'Doe', email: `${unique('john')}@example.com`, ownerId: 'u-1' } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ firstName: 'John', lastName: 'Doe', ownerId: 'u-1', version: 1, deletedAt: null });
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`/api/contacts/${id}`);

    expect((await t.call('GET', '/api/contacts', { token })).body.data.map((c: { id: string }) => c.id)).toEqual([id]);
    const put = await t.call('PUT', `/api/contacts/${id}`, { token, body: { firstName: 'Johnny', lastName: 'Doe', email: created.body.email, version: 1 } });
    expect(put.body).toMatchObject({ firstName: 'Johnny', version: 2, ownerId: null });
    const patch = await t.call('PATCH', `/api/contacts/${id}`, { token, body: { company: 'Acme', version: 2 } });
    expect(patch.body).toMatchObject({ company: 'Acme', version: 3 });

    const stale = await t.call('PATCH', `/api/contacts/${id}`, { token, body: { company: 'Late', version: 2 } });
    expect(stale.status).toBe(412);
    expect(Object.keys(stale.body.error).sort()).toEqual(['code', 'details', 'message', 'status', 'timestamp', 'type']);
    expect(stale.body.error).toMatchObject({ status: 412, type: 'PRECONDITION_FAILED', code: 'VERSION_CONFLICT' });

    const invalid = await t.call('POST', '/api/contacts', { token, body: { firstName: 'x'.repeat(500), email: 'bad' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['email', 'firstName']);

    expect((await t.call('DELETE', `/api/contacts/${id}`, { token })).status).toBe(200);
    expect((await t.call('GET', `/api/contacts/${id}`, { token })).status).toBe(404);
    expect((await t.call('POST', '/api/auth/logout', { token })).status).toBe(200);
    expect((await t.call('GET', '/api/contacts', { token })).status).toBe(401);
  });
});

describe('seed 004: /auth and /contacts', () => {
  it('registers, logs in and does contact CRUD with duplicate detection', async () => {
    const email = `${unique('s4')}@example.com`;
    const reg = await t.call('POST', '/auth/register', { body: { email, password: 'seed four password', account: 'Bulk Co' } });
    expect(reg.status).toBe(201);
    expect(Object.keys(reg.body)).toEqual(expect.arrayContaining(['user_id', 'account_id', 'token']));
    const login = await t.call('POST', '/auth/login', { body: { email, password: 'seed four password' } });
    const token = login.body.token as string;
    const contactEmail = `${unique('c')}@example.com`;
    const c = await t.call('POST', '/contacts', { token, body: { first_name: 'Jane', email: contactEmail } });
    expect(c.status).toBe(201);
    const dup = await t.call('POST', '/contacts', { token, body: { first_name: 'Jane again', email: contactEmail } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.details.existing_id).toBe(c.body.id);
    expect((await t.call('GET', `/contacts/${c.body.id}`, { token })).body.first_name).toBe('Jane');
    expect((await t.call('PUT', `/contacts/${c.body.id}`, { token, body: { first_name: 'Janet', email: contactEmail } })).body.version).toBe(2);
    expect((await t.call('GET', '/contacts', { token })).body.data).toHaveLength(1);
    expect((await t.call('DELETE', `/contacts/${c.body.id}`, { token })).status).toBe(200);
    expect((await t.call('GET', '/contacts', { token })).body.data).toHaveLength(0);
  });
});
