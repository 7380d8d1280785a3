// The contacts API end to end through app.request(): lifecycle, versions, duplicates, search, pagination, validation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser, createTestApi, registerAccount, type TestApi } from '../accounts/api.support.ts';
import { unique } from '../support/helpers.ts';

let t: TestApi;
let admin: Awaited<ReturnType<typeof registerAccount>>;

beforeAll(async () => {
  t = await createTestApi();
  admin = await registerAccount(t);
});
afterAll(() => t.close());

describe('contacts lifecycle', () => {
  it('creates, reads, replaces, patches, soft-deletes and restores a contact, bumping the version each time', async () => {
    const email = `${unique('ada')}@Example.COM`;
    const created = await t.call('POST', '/v1/contacts', { token: admin.token, body: { first_name: 'Ada', last_name: 'Lovelace', email, company: 'Analytical', tags: ['vip'] } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ first_name: 'Ada', email: email.toLowerCase(), version: 1, status: 'active', tags: ['vip'], deleted_at: null });
    expect(created.headers.get('etag')).toBe('"1"');
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`/v1/contacts/${id}`);

    const read = await t.call('GET', `/v1/contacts/${id}`, { token: admin.token });
    expect(read.status).toBe(200);
    expect(read.body).toEqual(created.body);
    expect((await t.call('GET', `/v1/contacts/${id}`, { token: admin.token, headers: { 'if-none-match': '"1"' } })).status).toBe(304);

    const replaced = await t.call('PUT', `/v1/contacts/${id}`, { token: admin.token, headers: { 'if-match': '"1"' }, body: { first_name: 'Ada', email: email.toLowerCase(), title: 'Countess' } });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ version: 2, title: 'Countess', last_name: null, company: null, tags: [] });

    const patched = await t.call('PATCH', `/v1/contacts/${id}`, { token: admin.token, body: { version: 2, last_name: 'King', country: 'gb' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ version: 3, title: 'Countess', last_name: 'King', country: 'GB' });
    expect(patched.headers.get('etag')).toBe('"3"');

    const deleted = await t.call('DELETE', `/v1/contacts/${id}`, { token: admin.token, headers: { 'if-match': '"3"' } });
    expect(deleted.status).toBe(200);
    expect(deleted.body.version).toBe(4);
    expect(deleted.body.deleted_at).not.toBeNull();
    expect((await t.call('GET', `/v1/contacts/${id}`, { token: admin.token })).status).toBe(404);
    expect((await t.call('PATCH', `/v1/contacts/${id}`, { token: admin.token, body: { title: 'x' } })).body.error.code).toBe('CONTACT_DELETED');
    expect((await t.call('GET', `/v1/contacts/${id}?deleted=include`, { token: admin.token })).status).toBe(200);

    const restored = await t.call('POST', `/v1/contacts/${id}/restore`, { token: admin.token });
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ version: 5, deleted_at: null, last_name: 'King' });
    expect((await t.call('POST', `/v1/contacts/${id}/restore`, { token: admin.token })).status).toBe(409);
  });
});

describe('optimistic concurrency', () => {
  it('answers 412 with the current version to a stale If-Match or body version, and changes nothing', async () => {
    const c = await t.call('POST', '/v1/contacts', { token: admin.token, body: { email: `${unique('v')}@example.com` } });
    const id = c.body.id as string;
    expect((await t.call('PATCH', `/v1/contacts/${id}`, { token: admin.token, headers: { 'if-match': '"1"' }, body: { title: 'first' } })).status).toBe(200);
    const stale = await t.call('PATCH', `/v1/contacts/${id}`, { token: admin.token, headers: { 'if-match': '"1"' }, body: { title: 'second' } });
    expect(stale.status).toBe(412);
    expect(stale.body.error).toMatchObject({ status: 412, type: 'PRECONDITION_FAILED', code: 'VERSION_CONFLICT', details: { current_version: 2 } });
    expect(typeof stale.body.error.timestamp).toBe('string');
    expect((await t.call('PUT', `/v1/contacts/${id}`, { token: admin.token, body: { version: 1, first_name: 'x' } })).status).toBe(412);
    expect((await t.call('DELETE', `/v1/contacts/${id}?version=1`, { token: admin.token })).status).toBe(412);
    const now = await t.call('GET', `/v1/contacts/${id}`, { token: admin.token });
    expect(now.body).toMatchObject({ version: 2, title: 'first', deleted_at: null });
  });

  it('lets exactly one of two concurrent writers with the same version win', async () => {
    const c = await t.call('POST', '/v1/contacts', { token: admin.token, body: { email: `${unique('race')}@example.com` } });
    const id = c.body.id as string;
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((title) => t.call('PATCH', `/v1/contacts/${id}`, { token: admin.token, headers: { 'if-match': '"1"' }, body: { title } })),
    );
    expect(results.map((r) => r.status).sort()).toEqual([200, 412, 412, 412]);
    expect((await t.call('GET', `/v1/contacts/${id}`, { token: admin.token })).body.version).toBe(2);
  });
});

describe('duplicate email', () => {
  it('answers 409 with the existing id, also for concurrent creates of the same email', async () => {
    const email = `${unique('dup')}@example.com`;
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => t.call('POST', '/v1/contacts', { token: admin.token, body: { email } })));
    const created = results.filter((r) => r.status === 201);
    const conflicts = results.filter((r) => r.status === 409);
    expect(created).toHaveLength(1);
    expect(conflicts).toHaveLength(4);
    for (const r of conflicts) expect(r.body.error).toMatchObject({ code: 'DUPLICATE_EMAIL', details: { existing_id: created[0]!.body.id } });
    // the same email in different case is the same email
    expect((await t.call('POST', '/v1/contacts', { token: admin.token, body: { email: email.toUpperCase() } })).status).toBe(409);
    // a soft-deleted contact frees its email; restoring it while another holds the email is a conflict
    await t.call('DELETE', `/v1/contacts/${created[0]!.body.id}`, { token: admin.token });
    const again = await t.call('POST', '/v1/contacts', { token: admin.token, body: { email } });
    expect(again.status).toBe(201);
    const restore = await t.call('POST', `/v1/contacts/${created[0]!.body.id}/restore`, { token: admin.token });
    expect(restore.status).toBe(409);
    expect(restore.body.error.details.existing_id).toBe(again.body.id);
  });

  it('refuses to change a contact email to one another contact holds', async () => {
    const a = await t.call('POST', '/v1/contacts', { token: admin.token, body: { email: `${unique('a')}@example.com` } });
    const b = await t.call('POST', '/v1/contacts', { token: admin.token, body: { email: `${unique('b')}@example.com` } });
    const res = await t.call('PATCH', `/v1/contacts/${b.body.id}`, { token: admin.token, body: { email: a.body.email } });
    expect(res.status).toBe(409);
    expect(res.body.error.details.existing_id).toBe(a.body.id);
  });
});

describe('list, filters, sort, cursor and search', () => {
  let account: Awaited<ReturnType<typeof registerAccount>>;
  beforeAll(async () => {
    account = await registerAccount(t);
    const people = [
      ['Grace', 'Hopper', 'Navy', 'US', ['pioneer']],
      ['Alan', 'Turing', 'Bletchley', 'GB', ['pioneer', 'crypto']],
      ['Katherine', 'Johnson', 'NASA', 'US', []],
      ['Margaret', 'Hamilton', 'NASA', 'US', ['apollo']],
      ['Edsger', 'Dijkstra', 'Eindhoven', 'NL', []],
    ] as const;
    for (const [first_name, last_name, company, country, tags] of people) {
      const r = await t.call('POST', '/v1/contacts', {
        token: account.token,
        body: { first_name, last_name, company, country, tags, email: `${first_name.toLowerCase()}.${last_name.toLowerCase()}@example.org` },
      });
      expect(r.status).toBe(201);
    }
  });

  it('pages through every contact exactly once with a cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await t.call('GET', `/v1/contacts?limit=2&sort=last_name${cursor ? `&cursor=${cursor}` : ''}`, { token: account.token });
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((c: { last_name: string }) => c.last_name));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['Dijkstra', 'Hamilton', 'Hopper', 'Johnson', 'Turing']);
  });

  it('pages by a time sort without losing or repeating rows created within the same millisecond', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await t.call('GET', `/v1/contacts?limit=1&sort=created_at${cursor ? `&cursor=${cursor}` : ''}`, { token: account.token });
      seen.push(...page.body.data.map((c: { last_name: string }) => c.last_name));
      cursor = page.body.next_cursor;
    } while (cursor);
    expect(seen).toEqual(['Hopper', 'Turing', 'Johnson', 'Hamilton', 'Dijkstra']);
    const first = await t.call('GET', '/v1/contacts?limit=1&sort=created_at', { token: account.token });
    const mixed = await t.call('GET', `/v1/contacts?limit=1&sort=email&cursor=${first.body.next_cursor}`, { token: account.token });
    expect(mixed.status).toBe(400);
    expect(mixed.body.error.details.fields[0].field).toBe('cursor');
  });

  it('sorts descending and filters on allow-listed fields', async () => {
    const desc = await t.call('GET', '/v1/contacts?sort=-created_at', { token: account.token });
    expect(desc.body.data.map((c: { last_name: string }) => c.last_name)).toEqual(['Dijkstra', 'Hamilton', 'Johnson', 'Turing', 'Hopper']);
    const nasa = await t.call('GET', '/v1/contacts?company=nasa&country=us&sort=last_name', { token: account.token });
    expect(nasa.body.data.map((c: { last_name: string }) => c.last_name)).toEqual(['Hamilton', 'Johnson']);
    const tagged = await t.call('GET', '/v1/contacts?tag=pioneer&sort=last_name', { token: account.token });
    expect(tagged.body.data.map((c: { last_name: string }) => c.last_name)).toEqual(['Hopper', 'Turing']);
  });

  it('searches names, email and company: words, substrings and typos', async () => {
    const q = async (text: string) =>
      (await t.call('GET', `/v1/contacts?q=${encodeURIComponent(text)}&sort=last_name`, { token: account.token })).body.data.map((c: { last_name: string }) => c.last_name);
    expect(await q('grace')).toEqual(['Hopper']);
    expect(await q('nasa')).toEqual(['Hamilton', 'Johnson']);
    expect(await q('ijkst')).toEqual(['Dijkstra']); // substring (trigram index)
    expect(await q('Hoper')).toEqual(['Hopper']); // typo (trigram word similarity)
    expect(await q('alan.turing@example.org')).toEqual(['Turing']);
    expect(await q('nobody-here')).toEqual([]);
  });

  it('names every bad parameter in one 400', async () => {
    const res = await t.call('GET', '/v1/contacts?sort=password_hash&limit=5000&colour=red&country=Germany', { token: account.token });
    expect(res.status).toBe(400);
    expect(res.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['colour', 'country', 'limit', 'sort']);
  });
});

describe('validation and limits', () => {
  it('lists every bad field of a body', async () => {
    const res = await t.call('POST', '/v1/contacts', { token: admin.token, body: { email: 'not-an-email', country: 'Germany', tags: 'vip', colour: 'red' } });
    expect(res.status).toBe(400);
    expect(res.body.error.type).toBe('VALIDATION_ERROR');
    const fields = res.body.error.details.fields.map((f: { field: string }) => f.field);
    expect(fields.sort()).toEqual(['colour', 'country', 'email', 'tags']);
  });

  it('answers 413 to a body over the limit, with or without a Content-Length', async () => {
    const big = { email: `${unique('big')}@example.com`, metadata: { blob: 'x'.repeat(t.cfg.API_BODY_LIMIT_BYTES) } };
    const res = await t.call('POST', '/v1/contacts', { token: admin.token, body: big });
    expect(res.status).toBe(413);
    expect(res.body.error).toMatchObject({ status: 413, code: 'BODY_TOO_LARGE' });
    const chunked = await t.app.request('/v1/contacts', {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: new Blob([JSON.stringify(big)]).stream(),
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(413);
    expect((await t.call('GET', `/v1/contacts?email=${encodeURIComponent(big.email)}`, { token: admin.token })).body.data).toEqual([]);
  });

  it('answers 400 to a body that is not JSON and 415 to one that is not declared JSON', async () => {
    expect((await t.call('POST', '/v1/contacts', { token: admin.token, body: '{"email":' })).status).toBe(400);
    expect((await t.call('POST', '/v1/contacts', { token: admin.token, body: 'email=a', headers: { 'content-type': 'text/plain' } })).status).toBe(415);
  });
});

describe('roles on contacts', () => {
  it('lets a viewer read but not write, and an editor write', async () => {
    const viewer = await addUser(t, admin.token, 'viewer');
    const editor = await addUser(t, admin.token, 'editor');
    expect((await t.call('GET', '/v1/contacts', { token: viewer.token })).status).toBe(200);
    const denied = await t.call('POST', '/v1/contacts', { token: viewer.token, body: { email: `${unique('v')}@example.com` } });
    expect(denied.status).toBe(403);
    expect(denied.body.error.type).toBe('AUTHORIZATION_ERROR');
    expect((await t.call('POST', '/v1/contacts', { token: editor.token, body: { email: `${unique('e')}@example.com` } })).status).toBe(201);
    expect((await t.call('POST', '/v1/api-keys', { token: editor.token, body: { scopes: ['read'] } })).status).toBe(403);
  });
});
