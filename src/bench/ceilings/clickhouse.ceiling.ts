// Analytics ceiling: a raw insert of the same outcome rows, in a child process (its own chDB engine on a scratch
// folder in embedded mode, the configured server in server mode).
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { CeilingResult } from './ceiling.types.ts';

const run = promisify(execFile);

export async function measureClickHouseCeiling(options: { dataDir: string; rows: number; env?: NodeJS.ProcessEnv }): Promise<CeilingResult> {
  const file = fileURLToPath(new URL('./clickhouse.ceiling.child.ts', import.meta.url));
  const folder = path.join(options.dataDir, 'tmp', `bench-chdb-${process.pid}`);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', file, folder, String(options.rows)], { timeout: 300_000, env: options.env });
  const line = stdout.trim().split('\n').pop() ?? '{}';
  const { rowsPerS } = JSON.parse(line) as { rowsPerS: number };
  return { name: 'clickhouse', what: `raw @clickhouse/client insert of ${options.rows} outcome rows (10k per insert) into inflow's DDL`, eventsPerS: rowsPerS };
}
