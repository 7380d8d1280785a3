// The rows a sink has read but not yet inserted, with the offset range each partition contributed.
// Pure: the sink fills it from Kafka, takes it whole at flush time, then filters what ClickHouse already holds.
import { toRowLine, type LogPosition, type OffsetRange, type OutcomeRecord } from './outcome.row.ts';

export interface PendingRow {
  partition: number;
  offset: number;
  outcomeId: string;
  line: string;
  processedAt: number;
}

export class OutcomeBatch {
  readonly rows: PendingRow[] = [];
  readonly ranges = new Map<number, OffsetRange>();
  readonly startedAt = Date.now();

  get size(): number {
    return this.rows.length;
  }

  add(outcome: OutcomeRecord, at: LogPosition): void {
    this.rows.push({ partition: at.partition, offset: at.offset, outcomeId: outcome.outcome_id, line: toRowLine(outcome, at), processedAt: outcome.processed_at });
    this.markRead(at.partition, at.offset);
  }

  /** An offset read (inserted or not, e.g. an undecodable record): it still advances the commit. */
  markRead(partition: number, offset: number): void {
    const r = this.ranges.get(partition);
    if (!r) this.ranges.set(partition, { partition, first: offset, last: offset });
    else r.last = Math.max(r.last, offset);
  }

  /** Offsets to commit: the next offset to read, per partition. */
  commits(): { partition: number; offset: string }[] {
    return [...this.ranges.values()].map((r) => ({ partition: r.partition, offset: String(r.last + 1) }));
  }
}

/**
 * What to insert: rows past the position ClickHouse already holds for their partition (a crash between insert
 * and commit re-reads them), each outcome_id once (an upstream re-emission in the same or a recent batch), and
 * the offset ranges of exactly those rows (the token).
 */
export function rowsToInsert(
  batch: OutcomeBatch,
  held: Map<number, number>,
  recent: { has(id: string): boolean } = { has: () => false },
): { rows: PendingRow[]; ranges: OffsetRange[]; skippedHeld: number; skippedDuplicate: number } {
  const seen = new Set<string>();
  const ranges = new Map<number, OffsetRange>();
  const rows: PendingRow[] = [];
  let skippedHeld = 0;
  let skippedDuplicate = 0;
  for (const row of batch.rows) {
    if (row.offset <= (held.get(row.partition) ?? -1)) {
      skippedHeld++;
      continue;
    }
    if (seen.has(row.outcomeId) || recent.has(row.outcomeId)) {
      skippedDuplicate++;
      continue;
    }
    seen.add(row.outcomeId);
    rows.push(row);
    const r = ranges.get(row.partition);
    if (!r) ranges.set(row.partition, { partition: row.partition, first: row.offset, last: row.offset });
    else r.last = Math.max(r.last, row.offset);
  }
  return { rows, ranges: [...ranges.values()], skippedHeld, skippedDuplicate };
}

/** The last `capacity` outcome ids inserted, so an upstream re-emission a few seconds later is not counted twice by the views. */
export function createRecentIds(capacity: number): { has(id: string): boolean; addAll(ids: Iterable<string>): void; readonly size: number } {
  const set = new Set<string>();
  return {
    has: (id) => set.has(id),
    addAll(ids) {
      for (const id of ids) {
        set.delete(id);
        set.add(id);
      }
      // A Set iterates in insertion order: the oldest ids go first.
      for (const id of set) {
        if (set.size <= capacity) break;
        set.delete(id);
      }
    },
    get size() {
      return set.size;
    },
  };
}
