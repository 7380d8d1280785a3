// `inflow sql "SELECT ..."`: read-only SQL on the configured ClickHouse, printed as a table, CSV or JSON.
// Server (CLICKHOUSE_URL): straight to it, readonly=1. Embedded: opens the chDB folder itself; if a running
// inflow process holds it, the query goes through that process's POST /v1/admin/sql when a key is given
// (--key or INFLOW_API_KEY, admin scope, ANALYTICS_SQL_ENDPOINT=on there), otherwise it says what to do.
import type { Config } from '../config.ts';
import { ClickHouseFolderLockedError } from '../infra/clickhouse.ts';
import { checkReadOnly } from './sql.readonly.ts';
import { render, type SqlFormat } from './sql.render.ts';
import { createReadOnlyClickHouse, runReadOnly, type SqlResult } from './sql.runner.ts';

export class SqlCommandError extends Error {
  override name = 'SqlCommandError';
}

async function viaHttp(cfg: Pick<Config, 'INFLOW_API_URL'>, key: string, sql: string): Promise<SqlResult> {
  let res: Response;
  try {
    res = await fetch(`${cfg.INFLOW_API_URL.replace(/\/$/, '')}/v1/admin/sql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ sql }),
    });
  } catch (err) {
    throw new SqlCommandError(`the chDB folder is held by another process and ${cfg.INFLOW_API_URL} does not answer (${(err as Error).message})`);
  }
  const body = (await res.json().catch(() => ({}))) as SqlResult & { error?: { message: string } };
  if (res.status === 404) throw new SqlCommandError(`${cfg.INFLOW_API_URL} has no /v1/admin/sql: start that process with ANALYTICS_SQL_ENDPOINT=on (and the api role)`);
  if (!res.ok) throw new SqlCommandError(`${cfg.INFLOW_API_URL}/v1/admin/sql answered ${res.status}: ${body.error?.message ?? 'no message'}`);
  return body;
}

export async function sqlCommand(cfg: Config, sql: string, opts: { format: SqlFormat; key?: string }): Promise<string> {
  const check = checkReadOnly(sql);
  if (!check.ok) throw new SqlCommandError(check.message);
  let result: SqlResult;
  try {
    const ch = await createReadOnlyClickHouse(cfg);
    try {
      result = await runReadOnly(ch, check.sql);
    } finally {
      await ch.close();
    }
  } catch (err) {
    if (!(err instanceof ClickHouseFolderLockedError)) throw err;
    const key = opts.key ?? cfg.INFLOW_API_KEY;
    if (!key) {
      throw new SqlCommandError(
        `${err.message}.\nTo query it anyway: start that process with ANALYTICS_SQL_ENDPOINT=on and run ` +
          '`inflow sql --key <admin API key> "..."` (or set INFLOW_API_KEY): the query then runs inside it, read-only.',
      );
    }
    result = await viaHttp(cfg, key, check.sql);
  }
  return render(result, opts.format);
}
