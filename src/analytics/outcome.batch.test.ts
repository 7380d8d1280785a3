import { describe, expect, it } from 'vitest';
import { createRecentIds, OutcomeBatch, rowsToInsert } from './outcome.batch.ts';
import { batchToken, dateTime64, sqlString, toRowLine, type OutcomeRecord } from './outcome.row.ts';

const outcome = (id: string): OutcomeRecord => ({
  outcome_id: id, event_id: null, tenant_id: 't', kind: 'event', type: 'lead.created', source: 'api', status: 'applied', reason: null,
  entity_type: null, entity_id: null, entity_version: null, bulk_action_id: null, topic: null, partition: null, offset: null,
  received_at: 1_767_225_600_000, processed_at: 1_767_225_600_250, attempt: 1, trace_id: null, utm_source: null, email_hash: null, phone_hash: null,
});

function batchOf(entries: [partition: number, offset: number, id: string][]): OutcomeBatch {
  const b = new OutcomeBatch();
  for (const [partition, offset, id] of entries) b.add(outcome(id), { topic: 'o', partition, offset });
  return b;
}

describe('outcome rows', () => {
  it('writes epoch milliseconds as exact DateTime64(3) seconds', () => {
    expect(dateTime64(1_767_225_600_250)).toBe('1767225600.250');
    expect(dateTime64(5)).toBe('0.005');
  });

  it('puts the crm.outcomes position last, in column order', () => {
    const line = JSON.parse(toRowLine(outcome('a'), { topic: 'o', partition: 3, offset: 42 })) as unknown[];
    expect(line.slice(0, 2)).toEqual(['a', null]);
    expect(line.slice(-3)).toEqual(['o', 3, 42]);
    expect(line).toHaveLength(25);
  });

  it('derives the same token from the same ranges, whatever their order', () => {
    const a = batchToken('crm.outcomes', [{ partition: 2, first: 5, last: 9 }, { partition: 0, first: 1, last: 3 }]);
    const b = batchToken('crm.outcomes', [{ partition: 0, first: 1, last: 3 }, { partition: 2, first: 5, last: 9 }]);
    expect(a).toBe(b);
    expect(a).toBe('crm.outcomes/0:1-3,2:5-9');
  });

  it('quotes a string for a SETTINGS clause', () => {
    expect(sqlString("a'b\\c")).toBe("'a\\'b\\\\c'");
  });
});

describe('rowsToInsert', () => {
  it('skips what ClickHouse already holds per partition and narrows the ranges (and so the token) to the rest', () => {
    const batch = batchOf([[0, 10, 'a'], [0, 11, 'b'], [0, 12, 'c'], [1, 4, 'd']]);
    const { rows, ranges, skippedHeld } = rowsToInsert(batch, new Map([[0, 11]]));
    expect(rows.map((r) => r.outcomeId)).toEqual(['c', 'd']);
    expect(ranges).toEqual([{ partition: 0, first: 12, last: 12 }, { partition: 1, first: 4, last: 4 }]);
    expect(skippedHeld).toBe(2);
    expect(batch.commits()).toEqual([{ partition: 0, offset: '13' }, { partition: 1, offset: '5' }]); // commits cover everything read
  });

  it('keeps one row per outcome_id: within the batch and against recently inserted ids', () => {
    const recent = createRecentIds(10);
    recent.addAll(['x']);
    const { rows, skippedDuplicate } = rowsToInsert(batchOf([[0, 1, 'a'], [1, 7, 'a'], [0, 2, 'x']]), new Map(), recent);
    expect(rows.map((r) => r.outcomeId)).toEqual(['a']);
    expect(skippedDuplicate).toBe(2);
  });

  it('forgets the oldest ids beyond its capacity', () => {
    const recent = createRecentIds(2);
    recent.addAll(['a', 'b', 'c']);
    expect([recent.has('a'), recent.has('b'), recent.has('c'), recent.size]).toEqual([false, true, true, 2]);
  });
});
