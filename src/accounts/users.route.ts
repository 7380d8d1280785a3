// /v1/users: an admin adds editors and viewers (and other admins) to their account.
import type { Hono } from 'hono';
import { z } from 'zod';
import type { Logger } from '../infra/logger.ts';
import type { Sql } from '../infra/postgres.ts';
import type { Access } from './access.ts';
import { ApiError, createApiRouter, jsonBody, parseWith } from './api-errors.ts';
import { email, password } from './auth.route.ts';
import { hashPassword } from './passwords.ts';
import { createUser, listUsers } from './users.repository.ts';

const CreateUserBody = z.object({ email, password, role: z.enum(['admin', 'editor', 'viewer']) });

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
  return app;
}
