// /v1/users: an admin adds editors and viewers (and other admins) to their account.
import type { Hono } from 'hono';
import { z } from 'zod';
import type { Logger } from '../infra/logger.ts';
import type { Sql } from '../infra/postgres.ts';
import type { Access } from './access.ts';
import { ApiError, createApiRouter, jsonBody, parseWith } from './api-errors.ts';
import { email, password } from './auth.route.ts';
import { hashPassword } from './passwords.ts';
import { createUser, disableUser, listUsers, setUserRole } from './users.repository.ts';

const role = z.enum(['admin', 'editor', 'viewer']);
const CreateUserBody = z.object({ email, password, role });
const uuid = z.uuid();

export function createUsersRouter(deps: { sql: Sql; access: Access; logger: Logger }, options: { maxBodyBytes: number }): Hono {
  const app = createApiRouter(deps, options);
  app.post('/', deps.access('admin'), async (c) => {
    const body = parseWith(CreateUserBody, await jsonBody(c));
    const tenantId = c.get('principal').tenantId;
    const created = await createUser(deps.sql, { tenantId, email: body.email, role: body.role, passwordHash: await hashPassword(body.password) });
    if (!created.ok) throw new ApiError(409, 'EMAIL_TAKEN', 'a user with this email already exists');
    const u = created.value;
    return c.json({ id: u.id, account_id: u.tenant_id, email: u.email, role: u.role, created_at: u.created_at }, 201);
  });
  app.get('/', deps.access('admin'), async (c) => {
    const users = await listUsers(deps.sql, c.get('principal').tenantId);
    return c.json({ data: users.map((u) => ({ id: u.id, email: u.email, role: u.role, created_at: u.created_at })) });
  });
  const target = (id: string, self: string | undefined) => {
    if (!uuid.safeParse(id).success) throw new ApiError(404, 'USER_NOT_FOUND', 'no such user in this account');
    // an admin cannot lock themselves out (the account would keep no admin to undo it)
    if (id === self) throw new ApiError(409, 'SELF_CHANGE', 'you cannot change your own role or disable yourself');
    return id;
  };
  app.patch('/:id', deps.access('admin'), async (c) => {
    const p = c.get('principal');
    const id = target(c.req.param('id'), p.kind === 'user' ? p.userId : undefined);
    const body = parseWith(z.object({ role }), await jsonBody(c));
    const u = await setUserRole(deps.sql, p.tenantId, id, body.role);
    if (!u) throw new ApiError(404, 'USER_NOT_FOUND', 'no such user in this account');
    return c.json({ id: u.id, email: u.email, role: u.role, created_at: u.created_at, note: 'tokens already issued keep the old role until they expire (15 min)' });
  });
  app.delete('/:id', deps.access('admin'), async (c) => {
    const p = c.get('principal');
    const id = target(c.req.param('id'), p.kind === 'user' ? p.userId : undefined);
    if (!(await disableUser(deps.sql, p.tenantId, id))) throw new ApiError(404, 'USER_NOT_FOUND', 'no such user in this account');
    return c.body(null, 204);
  });
  return app;
}
