// Bulk work is background work: when the ingest workers fall behind (their consumer group's lag on crm.events passes
// BULK_YIELD_INGEST_LAG), each chunk waits — up to MAX_PAUSE_MS — for the lag to come back under the threshold.
// Measured on the 2-core box: a 1M-contact bulk action beside ingest at full speed cut the worker's applied
// events/s by 62 % (bench/bulk/README.md). A worker that is down also makes lag: bulk then runs at its floor rate
// (concurrency x chunk per MAX_PAUSE_MS), never stops. Lag is read at most once a second per process.
import type { Admin, Kafka } from 'kafkajs';
import type { Config } from '../config.ts';
import { topicName } from '../infra/kafka.ts';
import type { Logger } from '../infra/logger.ts';

const MAX_PAUSE_MS = 2_000; // per chunk: bulk keeps a floor rate even under sustained ingest overload
const STEP_MS = 250; // how often a paused chunk looks again
const STOP_WAIT_MS = 2_000; // shutdown does not wait longer for the admin client
const LAG_TTL_MS = 1_000; // one lag read per second per process, shared by its concurrent chunks

/** `p`'s value, or `otherwise` once `ms` passed (p goes on, unwaited). */
function within<T>(p: Promise<T>, ms: number, otherwise: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((r) => (timer = setTimeout(() => r(otherwise), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

export interface IngestYield {
  /** Waits while ingest lags (bounded); resolves with the milliseconds waited. */
  gate(): Promise<number>;
  stop(): Promise<void>;
}

export function createIngestYield(deps: { cfg: Pick<Config, 'KAFKA_TOPIC_PREFIX' | 'WORKER_GROUP_ID' | 'BULK_YIELD_INGEST_LAG'>; kafka: Kafka; logger: Logger }): IngestYield {
  const { cfg, kafka } = deps;
  const threshold = cfg.BULK_YIELD_INGEST_LAG;
  const topic = topicName(cfg, 'crm.events');
  const groupId = cfg.WORKER_GROUP_ID ?? `${cfg.KAFKA_TOPIC_PREFIX}inflow-worker`;
  const log = deps.logger.child({ module: 'bulk.ingestYield' });
  let admin: Admin | undefined;
  let cached: { at: number; lag: Promise<number> } | undefined;

  /** Events the worker group has not committed yet; 0 when the group has never committed (no worker here). */
  async function readLag(): Promise<number> {
    try {
      if (!admin) {
        admin = kafka.admin();
        await admin.connect();
      }
      const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
      const done = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      if (![...done.values()].some((o) => o >= 0)) return 0;
      return ends.reduce((n, p) => n + Math.max(0, Number(p.high) - Math.max(0, done.get(p.partition) ?? 0)), 0);
    } catch (err) {
      log.warn({ err }, 'ingest lag unreadable; bulk does not yield meanwhile');
      return 0;
    }
  }

  const lag = () => {
    if (!cached || Date.now() - cached.at > LAG_TTL_MS) cached = { at: Date.now(), lag: readLag() };
    return cached.lag;
  };

  return {
    async gate() {
      if (threshold <= 0) return 0;
      const started = Date.now();
      for (;;) {
        const left = MAX_PAUSE_MS - (Date.now() - started);
        if (left <= 0) break;
        // A lag read that hangs (the broker slow to answer; kafkajs retries for minutes) counts as no lag: the
        // pause stays bounded by MAX_PAUSE_MS whatever the broker does.
        if ((await within(lag(), left, 0)) <= threshold) break;
        await new Promise((r) => setTimeout(r, Math.min(STEP_MS, left)));
      }
      return Date.now() - started;
    },
    async stop() {
      // kafkajs's disconnect waits for a connect still under way (~30 s against a broker that never answers)
      await within(admin?.disconnect().catch(() => {}) ?? Promise.resolve(), STOP_WAIT_MS, undefined);
    },
  };
}
