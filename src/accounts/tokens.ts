// JWT access tokens (HS256 pinned; issuer, audience and expiry checked; jti denylist in Redis for logout)
// and opaque refresh tokens (stored as sha256, rotated on each use, a reused one revokes its whole session).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Config } from '../config.ts';
import type { Logger } from '../infra/logger.ts';
import type { Sql } from '../infra/postgres.ts';
import type { Redis } from '../infra/redis.ts';
import type { TokenVerifier, UserPrincipal } from './auth.middleware.ts';

export const JWT_ISSUER = 'inflow';
export const JWT_AUDIENCE = 'inflow-api';
const ALGORITHM = 'HS256';
const REFRESH_PREFIX = 'ifr_';
const DEV_SECRET = 'inflow-development-only-jwt-secret-do-not-use-in-production';

export type Role = UserPrincipal['role'];

export interface IssuedTokens {
  token: string;
  refresh_token: string;
  expires_in: number;
}

export interface TokenService extends TokenVerifier {
  /** A new login session: an access token and the first refresh token of its family. */
  issue(user: { userId: string; tenantId: string; role: Role }): Promise<IssuedTokens>;
  /** Rotates a refresh token; null when it is unknown, expired, revoked or already used (then the session is revoked). */
  refresh(refreshToken: string): Promise<IssuedTokens | null>;
  /** Denylists the access token until it expires and revokes its session's refresh tokens. */
  logout(principal: UserPrincipal): Promise<void>;
}

type TokenConfig = Pick<Config, 'JWT_SECRET' | 'JWT_ACCESS_TTL_SECONDS' | 'JWT_REFRESH_TTL_SECONDS' | 'NODE_ENV'>;

/** The HS256 key. Production refuses to start without JWT_SECRET (config.ts); elsewhere a fixed key with a loud warning. */
export function jwtKey(cfg: Pick<Config, 'JWT_SECRET' | 'NODE_ENV'>, logger?: Logger): Uint8Array {
  if (!cfg.JWT_SECRET) {
    if (cfg.NODE_ENV === 'production') throw new Error('JWT_SECRET is required in production');
    logger?.warn('JWT_SECRET is not set: using the built-in development key. Anyone can forge tokens. Set JWT_SECRET (32+ chars) outside development.');
  }
  return new TextEncoder().encode(cfg.JWT_SECRET ?? DEV_SECRET);
}

const denyKey = (jti: string) => `inflow:jwt:deny:${jti}`;
const sha256 = (s: string) => createHash('sha256').update(s).digest();

export function createTokenService(deps: { sql: Sql; redis: Redis; logger?: Logger }, cfg: TokenConfig): TokenService {
  const { sql, redis } = deps;
  const key = jwtKey(cfg, deps.logger);

  async function accessToken(user: { userId: string; tenantId: string; role: Role }, sessionId: string): Promise<string> {
    return new SignJWT({ tid: user.tenantId, role: user.role, sid: sessionId })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
      .setSubject(user.userId)
      .setIssuer(JWT_ISSUER)
      .setAudience(JWT_AUDIENCE)
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime(`${cfg.JWT_ACCESS_TTL_SECONDS}s`)
      .sign(key);
  }

  async function newRefresh(user: { userId: string; tenantId: string }, familyId: string, db: Sql = sql): Promise<string> {
    const refresh = REFRESH_PREFIX + randomBytes(32).toString('base64url');
    await db`
      insert into refresh_tokens (user_id, tenant_id, family_id, token_hash, expires_at)
      values (${user.userId}, ${user.tenantId}, ${familyId}, ${sha256(refresh)}, now() + make_interval(secs => ${cfg.JWT_REFRESH_TTL_SECONDS}))
      -- tokens.refreshInsert`;
    return refresh;
  }

  async function verifyClaims(token: string) {
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: [ALGORITHM], issuer: JWT_ISSUER, audience: JWT_AUDIENCE, requiredClaims: ['exp', 'sub', 'jti'] });
      return payload;
    } catch (err) {
      if (err instanceof joseErrors.JOSEError) return null; // expired, tampered, alg none/other, wrong issuer or audience
      throw err;
    }
  }

  return {
    async issue(user) {
      const familyId = randomUUID();
      const refresh_token = await newRefresh(user, familyId);
      return { token: await accessToken(user, familyId), refresh_token, expires_in: cfg.JWT_ACCESS_TTL_SECONDS };
    },

    async refresh(refreshToken) {
      if (!refreshToken.startsWith(REFRESH_PREFIX) || refreshToken.length > 200) return null;
      return sql.begin(async (tx) => {
        const [row] = await tx<{ id: string; user_id: string; tenant_id: string; family_id: string; used: boolean; live: boolean; role: Role | null }[]>`
          select r.id, r.user_id, r.tenant_id, r.family_id, r.used_at is not null as used,
                 (r.revoked_at is null and r.expires_at > now()) as live, u.role
          from refresh_tokens r join users u on u.id = r.user_id and u.disabled_at is null
          where r.token_hash = ${sha256(refreshToken)} for update of r -- tokens.refreshFind`;
        if (!row) return null;
        if (row.used) {
          // a rotated token came back: someone holds a copy; end the whole session
          await tx`update refresh_tokens set revoked_at = now() where family_id = ${row.family_id} and revoked_at is null -- tokens.revokeFamily`;
          return null;
        }
        if (!row.live || !row.role) return null;
        await tx`update refresh_tokens set used_at = now() where id = ${row.id} -- tokens.refreshUse`;
        const user = { userId: row.user_id, tenantId: row.tenant_id, role: row.role };
        const refresh_token = await newRefresh(user, row.family_id, tx as unknown as Sql);
        return { token: await accessToken(user, row.family_id), refresh_token, expires_in: cfg.JWT_ACCESS_TTL_SECONDS };
      });
    },

    async verify(token) {
      const claims = await verifyClaims(token);
      if (!claims) return null;
      const { sub, jti, tid, role, sid, exp } = claims as { sub: string; jti: string; exp: number; tid?: unknown; role?: unknown; sid?: unknown };
      if (typeof tid !== 'string' || (role !== 'admin' && role !== 'editor' && role !== 'viewer')) return null;
      if (await redis.exists(denyKey(jti))) return null;
      return { kind: 'user', userId: sub, tenantId: tid, role, tokenId: jti, expiresAt: exp, ...(typeof sid === 'string' ? { sessionId: sid } : {}) };
    },

    async logout(principal) {
      const expiresAt = principal.expiresAt ?? Math.floor(Date.now() / 1000) + cfg.JWT_ACCESS_TTL_SECONDS;
      const ttl = Math.max(1, expiresAt - Math.floor(Date.now() / 1000));
      await redis.set(denyKey(principal.tokenId), '1', 'EX', ttl);
      if (principal.sessionId) {
        await sql`update refresh_tokens set revoked_at = now() where family_id = ${principal.sessionId} and revoked_at is null -- tokens.logout`;
      }
    },
  };
}
