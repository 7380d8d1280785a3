// Moves the contacts search GIN indexes' pending lists (sql/032, fastupdate on) into the indexes from a session of
// its own while bulk actions run. Left alone, the transaction whose insert pushes a pending list past
// gin_pending_list_limit (4MB) merges it inline: on a 1M-row table one chunk transaction in ~40 paid 0.4-1.5 s.
// Flushed here every few seconds, the lists never reach the limit inside a chunk, and the merges stay as large (as
// cheap per entry) as with the default; a smaller limit or fastupdate = off costs 40-300 % more index work
// (bench/bulk/gin.bench.ts). One flusher per cluster: the bulk process holding the advisory lock, on a client of
// ONE connection (`max: 1`) so the session lock and the flushes share a session; a broken session frees the lock.
import type { Logger } from '../infra/logger.ts';
import type { Sql } from '../infra/postgres.ts';

const LOCK_KEY = 7_400_032; // advisory lock: the process that flushes (any one; another takes over when it dies)
export const GIN_FLUSH_INTERVAL_MS = 2_500; // a 4MB pending list filled in ~3.5 s at ~12k contacts/s: flush before it does

/** `sql` must be a client of its own with max: 1 (see above). */
export function createGinFlusher({ sql, logger, intervalMs = GIN_FLUSH_INTERVAL_MS }: { sql: Sql; logger: Logger; intervalMs?: number }) {
  const log = logger.child({ module: 'bulk.ginFlusher' });
  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  let leader = false;

  async function tick() {
    if (busy) return;
    busy = true;
    try {
      if (!leader) leader = (await sql<{ ok: boolean }[]>`select pg_try_advisory_lock(${LOCK_KEY}) as ok -- bulk.ginFlushLeader`)[0]!.ok;
      if (!leader) return;
      const [running] = await sql`select 1 from bulk_actions where status = 'running' limit 1 -- bulk.ginFlushNeeded`;
      if (!running) return;
      await sql`select gin_clean_pending_list(to_regclass('contacts_fts')), gin_clean_pending_list(to_regclass('contacts_trgm')) -- bulk.ginFlush`;
    } catch (err) {
      log.warn({ err }, 'GIN pending-list flush failed; next tick retries');
      leader = false; // the session may be gone, and its lock with it: ask again
    } finally {
      busy = false;
    }
  }

  return {
    start() {
      timer = setInterval(() => void tick(), intervalMs);
    },
    async stop() {
      clearInterval(timer);
      while (busy) await new Promise((r) => setTimeout(r, 50));
      if (leader) await sql`select pg_advisory_unlock(${LOCK_KEY}) -- bulk.ginFlushResign`.catch(() => {});
    },
  };
}
