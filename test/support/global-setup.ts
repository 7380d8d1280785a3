// Brings the local stack up once for the integration tests (reusing a running one), with the test database migrated.
import { loadConfig } from '../../src/config.ts';
import { up } from '../../src/stack/stack.ts';
import { testEnv } from './test-env.ts';

export default async function setup(): Promise<void> {
  const cfg = loadConfig({ ...process.env, ...testEnv() });
  const started = performance.now();
  // ClickHouse DDL is applied per test file, each on its own chDB folder (chDB allows one owner per folder).
  const result = await up(cfg, (msg) => console.log(`[stack] ${msg}`), { clickhouse: false });
  console.log(`[stack] ready in ${((performance.now() - started) / 1000).toFixed(1)} s; migrations applied: ${result.migrations.join(', ') || 'none pending'}`);
}
