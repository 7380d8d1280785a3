// One authentication middleware for every route: `Authorization: Bearer <API key or JWT>`.
// The tenant always comes from the credential, never from the body.
import type { MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ApiKeyPrincipal, ApiKeyVerifier, Scope } from './api-keys.ts';

/** A logged-in person (JWT). Filled in by the accounts module. */
export interface UserPrincipal {
  kind: 'user';
  userId: string;
  tenantId: string;
  role: 'admin' | 'editor' | 'viewer';
  tokenId: string;
  /** The login session (refresh-token family) the token belongs to; logout revokes it. */
  sessionId?: string;
  /** Expiry of the token, epoch seconds (logout denylists it until then). */
  expiresAt?: number;
}

export type Principal = ApiKeyPrincipal | UserPrincipal;

declare module 'hono' {
  interface ContextVariableMap {
    principal: Principal;
  }
}

export interface TokenVerifier {
  /** The principal for a JWT, or null when it is not valid (expired, tampered, revoked, wrong audience...). */
  verify(token: string): Promise<UserPrincipal | null>;
}

/** What each user role may do, in API-key scope terms. */
export const ROLE_SCOPES: Record<UserPrincipal['role'], Scope[]> = {
  admin: ['ingest', 'read', 'write', 'admin'],
  editor: ['ingest', 'read', 'write'],
  viewer: ['read'],
};

export function scopesOf(principal: Principal): Scope[] {
  return principal.kind === 'api_key' ? principal.scopes : ROLE_SCOPES[principal.role];
}

export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

/**
 * 401 without a valid credential, 403 when the credential lacks `scope`.
 * API keys start with "ifk_"; anything else is tried as a JWT when a token verifier is given.
 */
export function authenticate(options: { apiKeys: ApiKeyVerifier; tokens?: TokenVerifier; scope: Scope }): MiddlewareHandler {
  return async function authenticateMiddleware(c, next) {
    const token = bearerToken(c.req.header('authorization'));
    if (!token) throw new HTTPException(401, { message: 'missing credentials: send Authorization: Bearer <API key or token>' });
    const principal = token.startsWith('ifk_') ? await options.apiKeys.verify(token) : ((await options.tokens?.verify(token)) ?? null);
    if (!principal) throw new HTTPException(401, { message: 'invalid, expired or revoked credentials' });
    if (!scopesOf(principal).includes(options.scope)) {
      throw new HTTPException(403, { message: `this credential lacks the "${options.scope}" permission` });
    }
    c.set('principal', principal);
    await next();
  };
}
