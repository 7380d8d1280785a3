// Tenant isolation (query filter + row-level security) and injection attempts through filters, sort and search.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApi, registerAccount, type TestApi } from '../accounts/api.support.ts';
import { unique } from '../support/helpers.ts';

let t: TestApi;
let a: Awaited<ReturnType<typeof registerAccount>>;
let b: Awaited<ReturnType<typeof registerAccount>>;
let aContact: { id: string; email: string; version: number };

const snapshot = async () => (await t.api.sql`select id, version, email, deleted_at from contacts where tenant_id = ${a.accountId} order by id`).map((r) => ({ ...r }));

beforeAll(async () => {
  t = await createTestApi();
  a = await registerAccount(t);
  b = await registerAccount(t);
  const res = await t.call('POST', '/v1/contacts', { token: a.token, body: { first_name: 'Alice', email: `${unique('alice')}@example.com` } });
  aContact = res.body;
});
afterAll(() => t.close());

describe('tenant isolation', () => {
  it('answers 404 to every operation on another tenant contact and changes nothing', async () => {
    const before = await snapshot();
    const id = aContact.id;
    const attempts = [
      t.call('GET', `/v1/contacts/${id}`, { token: b.token }),
      t.call('GET', `/v1/contacts/${id}?deleted=include`, { token: b.token }),
      t.call('PUT', `/v1/contacts/${id}`, { token: b.token, body: { first_name: 'Mallory' } }),
      t.call('PATCH', `/v1/contacts/${id}`, { token: b.token, headers: { 'if-match': '"1"' }, body: { first_name: 'Mallory' } }),
      t.call('DELETE', `/v1/contacts/${id}`, { token: b.token }),
      t.call('POST', `/v1/contacts/${id}/restore`, { token: b.token }),
      t.call('GET', `/api/contacts/${id}`, { token: b.token }),
    ];
    for (const res of await Promise.all(attempts)) expect(res.status).toBe(404);
    expect(await snapshot()).toEqual(before);
    const list = await t.call('GET', `/v1/contacts?email=${encodeURIComponent(aContact.email)}`, { token: b.token });
    expect(list.body.data).toEqual([]);
    const search = await t.call('GET', '/v1/contacts?q=Alice', { token: b.token });
    expect(search.body.data).toEqual([]);
    // the same email in another tenant is not a duplicate
    expect((await t.call('POST', '/v1/contacts', { token: b.token, body: { email: aContact.email } })).status).toBe(201);
  });

  it('row-level security hides and refuses other tenants rows even to a query that forgets the tenant filter', async () => {
    const visible = await t.api.db.inTenant(b.accountId, (tx) => tx`select id from contacts where id = ${aContact.id} -- test.rls`);
    expect(visible).toHaveLength(0);
    const own = await t.api.db.inTenant(a.accountId, (tx) => tx`select id from contacts where id = ${aContact.id} -- test.rls`);
    expect(own).toHaveLength(1);
    const updated = await t.api.db.inTenant(b.accountId, (tx) => tx`update contacts set first_name = 'Mallory' where id = ${aContact.id} -- test.rls`);
    expect(updated.count).toBe(0);
    await expect(
      t.api.db.inTenant(b.accountId, (tx) => tx`insert into contacts (tenant_id, id) values (${a.accountId}, ${unique('forged')}) -- test.rls`),
    ).rejects.toMatchObject({ code: '42501' }); // insufficient_privilege: new row violates row-level security policy
    const outbox = await t.api.db.inTenant(b.accountId, (tx) => tx`select count(*)::int as n from outbox where tenant_id = ${a.accountId} -- test.rls`);
    expect(outbox[0]!.n).toBe(0);
  });
});

describe('injection attempts change nothing', () => {
  it.each([
    ['sort with SQL', 'sort=email;drop table contacts--'],
    ['sort on a column not allow-listed', 'sort=tenant_id'],
    ['unknown filter', 'tenant_id=x'],
    ['filter name with SQL', "email'%20or%201=1--=x"],
    ['cursor forged', `cursor=${Buffer.from(JSON.stringify({ s: '-created_at', v: "'); drop table contacts;--", id: 'x' })).toString('base64url')}`],
    ['country with SQL', "country=' or 1=1--"],
    ['created_after with SQL', "created_after=2020-01-01'; delete from contacts;--"],
  ])('%s -> 400', async (_name, query) => {
    const before = await snapshot();
    const res = await t.call('GET', `/v1/contacts?${query}`, { token: a.token });
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('VALIDATION_ERROR');
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['email filter', `email=${encodeURIComponent("' or '1'='1")}`],
    ['company filter', `company=${encodeURIComponent("x' or 1=1; delete from contacts; --")}`],
    ['search', `q=${encodeURIComponent("'; delete from contacts where ''='")}`],
    ['search with tsquery syntax', `q=${encodeURIComponent('!!(( & | :* <-> "')}`],
    ['search with LIKE wildcards', `q=${encodeURIComponent('%_%')}`],
  ])('%s is a value, matches nothing of A, and changes nothing', async (_name, query) => {
    const before = await snapshot();
    const res = await t.call('GET', `/v1/contacts?${query}`, { token: a.token });
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it('a body field with SQL is stored as text', async () => {
    const res = await t.call('POST', '/v1/contacts', { token: a.token, body: { first_name: "Robert'); drop table contacts;--", email: `${unique('bobby')}@example.com` } });
    expect(res.status).toBe(201);
    expect(res.body.first_name).toBe("Robert'); drop table contacts;--");
    expect((await t.call('GET', `/v1/contacts/${aContact.id}`, { token: a.token })).status).toBe(200);
  });
});
