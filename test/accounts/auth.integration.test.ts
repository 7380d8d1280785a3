// Accounts end to end: register, login, refresh rotation, logout revocation, every way a bad token is refused,
// API-key management, roles and the per-account rate limit.
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWT_AUDIENCE, JWT_ISSUER } from '../../src/accounts/tokens.ts';
import { unique } from '../support/helpers.ts';
import { addUser, createTestApi, registerAccount, type TestApi } from './api.support.ts';

let t: TestApi;
beforeAll(async () => {
  t = await createTestApi();
});
afterAll(() => t.close());

describe('register and login', () => {
  it('registers an account with its admin and logs in under /v1/auth, /auth and /api/auth', async () => {
    const email = `${unique('reg')}@example.com`;
    const reg = await t.call('POST', '/auth/register', { body: { email, password: 'long enough pw', account: 'Acme Corp' } });
    expect(reg.status).toBe(201);
    expect(reg.body).toMatchObject({ user_id: expect.any(String), account_id: expect.stringMatching(/^acme-corp-[0-9a-f]{8}$/), token: expect.any(String) });
    for (const path of ['/v1/auth/login', '/auth/login', '/api/auth/login']) {
      const login = await t.call('POST', path, { body: { email: email.toUpperCase(), password: 'long enough pw' } });
      expect(login.status).toBe(200);
      expect(login.body).toEqual({ token: expect.any(String), refresh_token: expect.stringMatching(/^ifr_/), expires_in: 900 });
    }
    const me = await t.call('GET', '/v1/auth/me', { token: reg.body.token });
    expect(me.body).toEqual({ kind: 'user', user_id: reg.body.user_id, account_id: reg.body.account_id, role: 'admin' });
    const dup = await t.call('POST', '/v1/auth/register', { body: { email, password: 'long enough pw', account: 'Other' } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('EMAIL_TAKEN');
  });

  it('lists every bad registration field and refuses a wrong password with 401', async () => {
    const bad = await t.call('POST', '/v1/auth/register', { body: { email: 'nope', password: 'short' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.fields.map((f: { field: string }) => f.field).sort()).toEqual(['account', 'email', 'password']);
    const a = await registerAccount(t);
    const wrong = await t.call('POST', '/v1/auth/login', { body: { email: a.email, password: 'not the password' } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ status: 401, type: 'AUTHENTICATION_ERROR', code: 'INVALID_CREDENTIALS' });
    expect((await t.call('POST', '/v1/auth/login', { body: { email: `${unique('ghost')}@example.com`, password: 'whatever123' } })).status).toBe(401);
  });

  it('slows down password guessing: the 11th failed login in a window is 429', async () => {
    const a = await registerAccount(t);
    for (let i = 0; i < 10; i++) expect((await t.call('POST', '/v1/auth/login', { body: { email: a.email, password: `guess-${i}-xx` } })).status).toBe(401);
    const blocked = await t.call('POST', '/v1/auth/login', { body: { email: a.email, password: a.password } });
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('retry-after')).toBe('900');
  });
});

describe('refresh and logout', () => {
  it('rotates refresh tokens; reusing a rotated one ends the whole session', async () => {
    const a = await registerAccount(t);
    const login = await t.call('POST', '/v1/auth/login', { body: { email: a.email, password: a.password } });
    const first = login.body.refresh_token as string;
    const r1 = await t.call('POST', '/v1/auth/refresh', { body: { refresh_token: first } });
    expect(r1.status).toBe(200);
    expect(r1.body.refresh_token).not.toBe(first);
    expect((await t.call('GET', '/v1/contacts', { token: r1.body.token })).status).toBe(200);
    // the old token comes back (stolen copy): refused, and the rotated one dies with it
    expect((await t.call('POST', '/v1/auth/refresh', { body: { refresh_token: first } })).status).toBe(401);
    expect((await t.call('POST', '/v1/auth/refresh', { body: { refresh_token: r1.body.refresh_token } })).status).toBe(401);
  });

  it('logout revokes the access token in Redis and the session refresh token (seed 002 /api/auth/logout)', async () => {
    const a = await registerAccount(t);
    const login = await t.call('POST', '/api/auth/login', { body: { email: a.email, password: a.password } });
    expect((await t.call('GET', '/api/contacts', { token: login.body.token })).status).toBe(200);
    const out = await t.call('POST', '/api/auth/logout', { token: login.body.token });
    expect(out.status).toBe(200);
    const after = await t.call('GET', '/api/contacts', { token: login.body.token });
    expect(after.status).toBe(401);
    expect(after.body.error).toMatchObject({ status: 401, type: 'AUTHENTICATION_ERROR' });
    expect((await t.call('POST', '/v1/auth/refresh', { body: { refresh_token: login.body.refresh_token } })).status).toBe(401);
    const ttl = await t.api.redis.ttl(`inflow:jwt:deny:${JSON.parse(Buffer.from(login.body.token.split('.')[1], 'base64url').toString()).jti}`);
    expect(ttl).toBeGreaterThan(800); // kept until the token would have expired anyway
    expect(ttl).toBeLessThanOrEqual(900);
    // another session of the same user is unaffected
    expect((await t.call('GET', '/v1/contacts', { token: a.token })).status).toBe(200);
  });
});

describe('bad credentials are 401', () => {
  let a: Awaited<ReturnType<typeof registerAccount>>;
  const key = new TextEncoder().encode('test-secret-test-secret-test-secret-0123');
  const claims = () => ({ tid: a.accountId, role: 'admin', sid: 'x' });
  const sign = (mutate: (j: SignJWT) => SignJWT, alg = 'HS256') =>
    mutate(new SignJWT(claims()).setProtectedHeader({ alg }).setSubject(a.userId).setJti(unique('jti')).setIssuedAt()).sign(key);
  beforeAll(async () => {
    a = await registerAccount(t);
  });

  it.each([
    ['no token', async () => undefined],
    ['garbage', async () => 'not-a-jwt'],
    ['expired', () => sign((j) => j.setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE).setExpirationTime(Math.floor(Date.now() / 1000) - 60))],
    ['wrong audience', () => sign((j) => j.setIssuer(JWT_ISSUER).setAudience('someone-else').setExpirationTime('5m'))],
    ['wrong issuer', () => sign((j) => j.setIssuer('evil').setAudience(JWT_AUDIENCE).setExpirationTime('5m'))],
    ['no expiry', () => sign((j) => j.setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE))],
    ['another algorithm with the same key (HS512)', () => sign((j) => j.setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE).setExpirationTime('5m'), 'HS512')],
    ['alg none', async () => new UnsecuredJWT(claims()).setSubject(a.userId).setJti('j').setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE).setExpirationTime('5m').encode()],
    [
      'tampered (role raised, signature kept)',
      async () => {
        const [h, p, s] = a.token.split('.') as [string, string, string];
        const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
        return [h, Buffer.from(JSON.stringify({ ...payload, tid: 'someone-else' })).toString('base64url'), s].join('.');
      },
    ],
    ['signed with another secret', () => new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).setSubject(a.userId).setJti('j').setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE).setExpirationTime('5m').sign(new TextEncoder().encode('x'.repeat(40)))],
  ])('%s', async (_name, make) => {
    const token = await make();
    const res = await t.call('GET', '/v1/contacts', { token });
    expect(res.status).toBe(401);
    expect(res.body.error.status).toBe(401);
  });

  it('accepts a correctly signed token (the control case)', async () => {
    const token = await sign((j) => j.setIssuer(JWT_ISSUER).setAudience(JWT_AUDIENCE).setExpirationTime('5m'));
    expect((await t.call('GET', '/v1/contacts', { token })).status).toBe(200);
  });
});

describe('API keys', () => {
  it('creates a key shown once, lists it without the secret, records last use and revokes it', async () => {
    const a = await registerAccount(t);
    const created = await t.call('POST', '/v1/api-keys', { token: a.token, body: { name: 'crm sync', scopes: ['read', 'write'] } });
    expect(created.status).toBe(201);
    expect(created.body.key).toMatch(/^ifk_/);
    expect((await t.call('GET', '/v1/contacts', { token: created.body.key })).status).toBe(200);
    const list = await t.call('GET', '/v1/api-keys', { token: a.token });
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).toMatchObject({ id: created.body.id, name: 'crm sync', prefix: created.body.key.slice(0, 10), scopes: ['read', 'write'] });
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
    await expect.poll(async () => (await t.api.sql`select last_used_at from api_keys where id = ${created.body.id}`)[0]!.last_used_at).not.toBeNull();
    expect((await t.call('DELETE', `/v1/api-keys/${created.body.id}`, { token: a.token })).status).toBe(204);
    expect((await t.call('GET', '/v1/contacts', { token: created.body.key })).status).toBe(401);
    expect((await t.call('DELETE', `/v1/api-keys/${created.body.id}`, { token: a.token })).status).toBe(404);
  });

  it('enforces scopes: an ingest-only key cannot read contacts; a read key cannot write; only admin manages keys', async () => {
    const a = await registerAccount(t);
    const ingest = await t.call('POST', '/v1/api-keys', { token: a.token, body: { scopes: ['ingest'] } });
    const read = await t.call('POST', '/v1/api-keys', { token: a.token, body: { scopes: ['read'] } });
    expect((await t.call('GET', '/v1/contacts', { token: ingest.body.key })).status).toBe(403);
    expect((await t.call('GET', '/v1/contacts', { token: read.body.key })).status).toBe(200);
    expect((await t.call('POST', '/v1/contacts', { token: read.body.key, body: { email: `${unique('k')}@example.com` } })).status).toBe(403);
    expect((await t.call('POST', '/v1/api-keys', { token: read.body.key, body: { scopes: ['admin'] } })).status).toBe(403);
    const viewer = await addUser(t, a.token, 'viewer');
    expect((await t.call('GET', '/v1/api-keys', { token: viewer.token })).status).toBe(403);
    expect((await t.call('POST', '/v1/users', { token: viewer.token, body: { email: `${unique('u')}@example.com`, password: 'password123', role: 'admin' } })).status).toBe(403);
    const bad = await t.call('POST', '/v1/api-keys', { token: a.token, body: { scopes: ['root'] } });
    expect(bad.status).toBe(400);
  });

  it('keeps keys per account: B can neither list nor revoke A key', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const key = await t.call('POST', '/v1/api-keys', { token: a.token, body: { scopes: ['read'] } });
    expect((await t.call('GET', '/v1/api-keys', { token: b.token })).body.data).toEqual([]);
    expect((await t.call('DELETE', `/v1/api-keys/${key.body.id}`, { token: b.token })).status).toBe(404);
    expect((await t.call('GET', '/v1/contacts', { token: key.body.key })).status).toBe(200);
  });
});

describe('users of an account', () => {
  it('lets an admin change a role and disable a user (login and refresh refused), never across accounts', async () => {
    const a = await registerAccount(t);
    const b = await registerAccount(t);
    const viewer = await addUser(t, a.token, 'viewer');
    const login = await t.call('POST', '/v1/auth/login', { body: { email: viewer.email, password: 'another good password' } });
    expect((await t.call('PATCH', `/v1/users/${viewer.id}`, { token: b.token, body: { role: 'admin' } })).status).toBe(404);
    expect((await t.call('DELETE', `/v1/users/${viewer.id}`, { token: b.token })).status).toBe(404);
    const promoted = await t.call('PATCH', `/v1/users/${viewer.id}`, { token: a.token, body: { role: 'editor' } });
    expect(promoted.body.role).toBe('editor');
    const relogin = await t.call('POST', '/v1/auth/login', { body: { email: viewer.email, password: 'another good password' } });
    expect((await t.call('POST', '/v1/contacts', { token: relogin.body.token, body: { email: `${unique('ed')}@example.com` } })).status).toBe(201);
    expect((await t.call('DELETE', `/v1/users/${a.userId}`, { token: a.token })).status).toBe(409);
    expect((await t.call('DELETE', `/v1/users/${viewer.id}`, { token: a.token })).status).toBe(204);
    expect((await t.call('POST', '/v1/auth/login', { body: { email: viewer.email, password: 'another good password' } })).status).toBe(401);
    expect((await t.call('POST', '/v1/auth/refresh', { body: { refresh_token: login.body.refresh_token } })).status).toBe(401);
    const users = await t.call('GET', '/v1/users', { token: a.token });
    expect(users.body.data.map((u: { id: string }) => u.id)).toEqual([a.userId]);
  });
});

describe('dependencies away', () => {
  it('answers 503 with Retry-After (not a 500) when Postgres is unreachable', async () => {
    const down = await createTestApi({ DATABASE_URL: 'postgres://inflow:inflow@127.0.0.1:1/inflow_test' });
    try {
      const res = await down.call('POST', '/v1/auth/login', { body: { email: 'a@example.com', password: 'whatever123' } });
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.body.error).toMatchObject({ status: 503, code: 'DEPENDENCY_UNAVAILABLE' });
    } finally {
      await down.close();
    }
  });
});

describe('per-account rate limit', () => {
  it('answers 429 with RateLimit-* and Retry-After once the account spends its budget, other accounts unaffected', async () => {
    const limited = await createTestApi({ API_RATE_LIMIT_PER_MINUTE: '3' });
    try {
      const a = await registerAccount(limited);
      const b = await registerAccount(limited);
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 4; i++) {
        last = await limited.call('GET', '/v1/contacts', { token: a.token });
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(last!.headers.get('ratelimit-limit')).toBe('3');
      expect(last!.headers.get('ratelimit-remaining')).toBe('0');
      expect(Number(last!.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(last!.body.error).toMatchObject({ status: 429, type: 'RATE_LIMITED' });
      const other = await limited.call('GET', '/v1/contacts', { token: b.token });
      expect(other.status).toBe(200);
      expect(other.headers.get('ratelimit-remaining')).toBe('2');
    } finally {
      await limited.close();
    }
  });
});
