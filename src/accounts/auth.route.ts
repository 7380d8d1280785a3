// /auth, /v1/auth and seed 002's /api/auth: register, login, refresh, logout.
import type { Hono } from 'hono';
import { z } from 'zod';
import type { Logger } from '../infra/logger.ts';
import type { Sql } from '../infra/postgres.ts';
import type { Redis } from '../infra/redis.ts';
import type { Access } from './access.ts';
import { ApiError, createApiRouter, jsonBody, parseWith } from './api-errors.ts';
import { decoyHash, hashPassword, verifyPassword } from './passwords.ts';
import type { TokenService } from './tokens.ts';
import { findLoginUser, registerAccount } from './users.repository.ts';

export const email = z.string().trim().toLowerCase().pipe(z.email('not a valid email address').max(254));
export const password = z.string().min(8, 'at least 8 characters').max(256, 'at most 256 characters');

const RegisterBody = z.object({ email, password, account: z.string().trim().min(1, 'required').max(100) });
// seed 002 clients may send `username`; it is the email
const LoginBody = z.union([z.object({ email, password: z.string().min(1).max(256) }), z.object({ username: email, password: z.string().min(1).max(256) })]);
const RefreshBody = z.object({ refresh_token: z.string().min(1).max(200) });

const MAX_FAILED_LOGINS = 10; // per email per 15 min: slows online guessing without locking a user out for long
const FAILED_WINDOW_S = 900;

export function createAuthRouter(deps: { sql: Sql; redis: Redis; tokens: TokenService; access: Access; logger: Logger }, options: { maxBodyBytes: number }): Hono {
  const { sql, redis, tokens } = deps;
  const app = createApiRouter(deps, options);

  app.post('/register', async (c) => {
    const body = parseWith(RegisterBody, await jsonBody(c));
    const created = await registerAccount(sql, { account: body.account, email: body.email, passwordHash: await hashPassword(body.password) });
    if (!created.ok) throw new ApiError(409, 'EMAIL_TAKEN', 'a user with this email already exists');
    const { userId, tenantId } = created.value;
    const issued = await tokens.issue({ userId, tenantId, role: 'admin' });
    deps.logger.info({ tenant_id: tenantId, user_id: userId }, 'account registered');
    return c.json({ user_id: userId, account_id: tenantId, role: 'admin', ...issued }, 201);
  });

  app.post('/login', async (c) => {
    const body = parseWith(LoginBody, await jsonBody(c));
    const login = 'email' in body ? body.email : body.username;
    const failKey = `inflow:login:fail:${login}`;
    if (Number(await redis.get(failKey)) >= MAX_FAILED_LOGINS) {
      throw new ApiError(429, 'TOO_MANY_FAILED_LOGINS', 'too many failed logins for this email; try again later', {}, { 'Retry-After': String(FAILED_WINDOW_S) });
    }
    const user = await findLoginUser(sql, login);
    const ok = await verifyPassword(user?.password_hash ?? (await decoyHash()), body.password);
    if (!user || !ok) {
      await redis.multi().incr(failKey).expire(failKey, FAILED_WINDOW_S).exec();
      throw new ApiError(401, 'INVALID_CREDENTIALS', 'wrong email or password');
    }
    await redis.del(failKey);
    return c.json(await tokens.issue({ userId: user.id, tenantId: user.tenant_id, role: user.role }), 200);
  });

  app.post('/refresh', async (c) => {
    const body = parseWith(RefreshBody, await jsonBody(c));
    const issued = await tokens.refresh(body.refresh_token);
    if (!issued) throw new ApiError(401, 'INVALID_REFRESH_TOKEN', 'the refresh token is invalid, expired, revoked or already used');
    return c.json(issued, 200);
  });

  app.post('/logout', deps.access('read'), async (c) => {
    const principal = c.get('principal');
    if (principal.kind !== 'user') throw new ApiError(400, 'NOT_A_SESSION', 'API keys do not log out; revoke them with DELETE /v1/api-keys/:id');
    await tokens.logout(principal);
    return c.json({ ok: true, message: 'logged out' }, 200);
  });

  app.get('/me', deps.access('read'), (c) => {
    const p = c.get('principal');
    return c.json(p.kind === 'user' ? { kind: p.kind, user_id: p.userId, account_id: p.tenantId, role: p.role } : { kind: p.kind, key_id: p.keyId, account_id: p.tenantId, scopes: p.scopes });
  });

  return app;
}
