// The sink's two ClickHouse operations: what each crm.outcomes partition already holds, and one batch insert.
import { Readable } from 'node:stream';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import { OUTCOME_COLUMNS, sqlString } from './outcome.row.ts';

export interface OutcomesStore {
  /** Highest crm.outcomes offset stored per partition of `topic` (absent: nothing stored). */
  positions(topic: string, partitions: number[]): Promise<Map<number, number>>;
  /** Inserts JSONCompactEachRow lines as one INSERT carrying `token` as its insert_deduplication_token. */
  insert(lines: string[], token: string): Promise<void>;
}

export function createOutcomesStore(ch: ClickHouseClient, database: string): OutcomesStore {
  const insertSql =
    `INSERT INTO ${database}.outcomes (${OUTCOME_COLUMNS.join(', ')}) ` +
    // The token goes in the statement's own SETTINGS: chDB turns clickhouse_settings into session-wide SETs,
    // which would make every later insert of the process reuse (and be dropped by) this token.
    `SETTINGS insert_deduplication_token = {token} FORMAT JSONCompactEachRow`;
  return {
    async positions(topic, partitions) {
      if (partitions.length === 0) return new Map();
      const res = await ch.query({
        query: `SELECT log_partition AS partition, max(log_offset) AS offset FROM ${database}.sink_positions
                WHERE log_topic = {topic:String} AND log_partition IN {partitions:Array(Int32)}
                GROUP BY log_partition -- analytics.sink_positions`,
        query_params: { topic, partitions },
        format: 'JSONEachRow',
      });
      const rows = await res.json<{ partition: number; offset: number }>();
      return new Map(rows.map((r) => [Number(r.partition), Number(r.offset)]));
    },
    async insert(lines, token) {
      if (lines.length === 0) return;
      const result = await ch.exec({
        query: insertSql.replace('{token}', sqlString(token)),
        values: Readable.from([lines.join('\n') + '\n']),
      });
      result.stream.resume(); // the server's (empty) answer; drain it so the socket is released
    },
  };
}
