// Accounts (tenants) and their users. Emails are stored trimmed and lower-cased; one user per email across accounts.
import { randomBytes } from 'node:crypto';
import type { Sql } from '../infra/postgres.ts';
import type { Role } from './tokens.ts';

export interface UserRow {
  id: string;
  tenant_id: string;
  email: string;
  role: Role;
  created_at: Date;
}

const UNIQUE_VIOLATION = '23505';
const isUniqueViolation = (err: unknown) => (err as { code?: string } | undefined)?.code === UNIQUE_VIOLATION;

/** A readable, unguessable-enough account id: the account name's slug plus 8 random hex chars. */
export function newTenantId(account: string): string {
  const slug = account.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 32) || 'account';
  return `${slug}-${randomBytes(4).toString('hex')}`;
}

export type Created<T> = { ok: true; value: T } | { ok: false; reason: 'email_taken' };

/** The account and its first admin, in one transaction. */
export async function registerAccount(sql: Sql, input: { account: string; email: string; passwordHash: string }): Promise<Created<{ userId: string; tenantId: string }>> {
  const tenantId = newTenantId(input.account);
  try {
    return await sql.begin(async (tx) => {
      await tx`insert into tenants (id, name) values (${tenantId}, ${input.account}) -- users.registerTenant`;
      const [user] = await tx<{ id: string }[]>`
        insert into users (tenant_id, email, password_hash, role) values (${tenantId}, ${input.email}, ${input.passwordHash}, 'admin')
        returning id -- users.registerAdmin`;
      return { ok: true as const, value: { userId: user!.id, tenantId } };
    });
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, reason: 'email_taken' };
    throw err;
  }
}

export async function createUser(sql: Sql, input: { tenantId: string; email: string; passwordHash: string; role: Role }): Promise<Created<UserRow>> {
  try {
    const [row] = await sql<UserRow[]>`
      insert into users (tenant_id, email, password_hash, role) values (${input.tenantId}, ${input.email}, ${input.passwordHash}, ${input.role})
      returning id, tenant_id, email, role, created_at -- users.create`;
    return { ok: true, value: row! };
  } catch (err) {
    if (isUniqueViolation(err)) return { ok: false, reason: 'email_taken' };
    throw err;
  }
}

export async function findLoginUser(sql: Sql, email: string): Promise<(UserRow & { password_hash: string }) | undefined> {
  const [row] = await sql<(UserRow & { password_hash: string })[]>`
    select id, tenant_id, email, role, created_at, password_hash from users
    where lower(email) = ${email} and disabled_at is null -- users.findLogin`;
  return row;
}

export function listUsers(sql: Sql, tenantId: string): Promise<UserRow[]> {
  return sql<UserRow[]>`
    select id, tenant_id, email, role, created_at from users where tenant_id = ${tenantId} and disabled_at is null
    order by created_at, id -- users.list`;
}

/** Changes a user's role within the account; false when the user is not in it. */
export async function setUserRole(sql: Sql, tenantId: string, userId: string, role: Role): Promise<UserRow | undefined> {
  const [row] = await sql<UserRow[]>`
    update users set role = ${role} where id = ${userId} and tenant_id = ${tenantId} and disabled_at is null
    returning id, tenant_id, email, role, created_at -- users.setRole`;
  return row;
}

/** Disables a user and revokes every refresh token of theirs (access tokens die within their 15 min). */
export async function disableUser(sql: Sql, tenantId: string, userId: string): Promise<boolean> {
  return sql.begin(async (tx) => {
    const rows = await tx`update users set disabled_at = now() where id = ${userId} and tenant_id = ${tenantId} and disabled_at is null returning id -- users.disable`;
    if (rows.length === 0) return false;
    await tx`update refresh_tokens set revoked_at = now() where user_id = ${userId} and revoked_at is null -- users.revokeSessions`;
    return true;
  });
}
