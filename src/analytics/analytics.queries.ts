// The analytics API's queries. Every one is scoped by tenant and reads the per-minute views (clickhouse/011-013),
// so its cost follows the number of minutes asked for, not the number of outcomes. Values travel as query
// parameters; the only text spliced into SQL is the database name (validated by config) and a column name
// chosen from a fixed list.
import type { ClickHouseClient } from '../infra/clickhouse.ts';

export interface Window {
  tenant: string;
  /** epoch seconds, inclusive */
  from: number;
  /** epoch seconds, exclusive */
  to: number;
}

export const GROUP_BY = ['status', 'type', 'source', 'kind'] as const;
export type GroupBy = (typeof GROUP_BY)[number];

export interface AnalyticsQueries {
  throughput(w: Window, stepSeconds: number): Promise<{ t: number; status: string; n: number }[]>;
  outcomes(w: Window, groupBy: GroupBy): Promise<{ key: string; n: number }[]>;
  latency(w: Window, stepSeconds?: number): Promise<{ t: number | null; n: number; q: [number, number, number] }[]>;
  dlq(w: Window, stepSeconds: number): Promise<{ t: number; status: string; reason: string; n: number }[]>;
}

const WINDOW = `tenant_id = {tenant:String} AND minute >= toDateTime({from:UInt32}, 'UTC') AND minute < toDateTime({to:UInt32}, 'UTC')`;

export function createAnalyticsQueries(ch: ClickHouseClient, database: string): AnalyticsQueries {
  async function rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    const res = await ch.query({ query, query_params: params, format: 'JSONEachRow' });
    return res.json<T>();
  }
  return {
    throughput(w, step) {
      return rows(
        `SELECT toUInt32(toStartOfInterval(minute, toIntervalSecond({step:UInt32}))) AS t, status, sum(n) AS n
         FROM ${database}.outcomes_per_minute WHERE ${WINDOW}
         GROUP BY t, status ORDER BY t, status -- analytics.throughput`,
        { ...w, step },
      );
    },
    outcomes(w, groupBy) {
      const column = GROUP_BY.includes(groupBy) ? groupBy : 'status'; // a fixed list: never text from the request
      return rows(
        `SELECT toString(${column}) AS key, sum(n) AS n FROM ${database}.outcomes_per_minute WHERE ${WINDOW}
         GROUP BY key ORDER BY n DESC, key -- analytics.outcomes`,
        { ...w },
      );
    },
    latency(w, step) {
      const bucket = step ? `toUInt32(toStartOfInterval(minute, toIntervalSecond({step:UInt32})))` : 'CAST(NULL, \'Nullable(UInt32)\')';
      return rows(
        `SELECT ${bucket} AS t, sum(n) AS n, quantilesMerge(0.5, 0.9, 0.99)(latency) AS q
         FROM ${database}.latency_per_minute WHERE ${WINDOW}
         GROUP BY t ORDER BY t -- analytics.latency`,
        { ...w, step: step ?? 60 },
      );
    },
    dlq(w, step) {
      return rows(
        `SELECT toUInt32(toStartOfInterval(minute, toIntervalSecond({step:UInt32}))) AS t, status, reason, sum(n) AS n
         FROM ${database}.dlq_reasons_per_minute WHERE ${WINDOW}
         GROUP BY t, status, reason ORDER BY t, n DESC, reason -- analytics.dlq`,
        { ...w, step },
      );
    },
  };
}
