// The environment integration tests run with: the same local stack, but their own Postgres database
// (name ends in _test, so destructive helpers are allowed), Redis db 1, and their own ClickHouse database and chDB folder.
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config.ts';

function withDatabase(url: string, suffix: string): string {
  const u = new URL(url);
  const name = u.pathname.replace(/^\//, '') || 'inflow';
  u.pathname = `/${name.endsWith(suffix) ? name : name + suffix}`;
  return u.toString();
}

export function testEnv(base: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: base.LOG_LEVEL ?? 'warn',
    DATABASE_URL: withDatabase(base.DATABASE_URL ?? 'postgres://inflow:inflow@127.0.0.1:5432/inflow', '_test'),
    REDIS_URL: base.REDIS_URL ?? 'redis://127.0.0.1:6379/1',
    CLICKHOUSE_DATABASE: 'inflow_test',
    CHDB_PATH: path.join(PROJECT_ROOT, '.inflow', 'test', 'chdb'),
  };
}
