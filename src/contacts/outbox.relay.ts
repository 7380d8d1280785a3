// The outbox relay (runs in the api role): produces pending outbox rows to crm.changes / crm.outcomes as Avro,
// acks=all, then marks them sent - all while holding the rows' transaction. A crash between the produce and the
// commit leaves them pending, so they are produced again with the same change_id / outcome_id: at-least-once on
// the wire, exactly once per entry for consumers that keep one record per id (ClickHouse outcomes, change readers).
// One relay sends at a time (advisory lock), in outbox order, so an entity's changes keep their order.
import type { Producer } from 'kafkajs';
import type avro from 'avsc';
import type { Config } from '../config.ts';
import { topicName } from '../infra/kafka.ts';
import type { Logger } from '../infra/logger.ts';
import type { Sql } from '../infra/postgres.ts';
import { encode } from '../schemas/avro.codec.ts';
import type { SchemaRegistry } from '../schemas/registry.client.ts';
import { readSchema, schemaType, subjectFor } from '../schemas/schema-files.ts';
import { outboxLag, outboxSent } from '../accounts/accounts.metrics.ts';
import { OUTBOX_CHANNEL } from './outbox.repository.ts';

const RELAY_LOCK = 7_300_431; // arbitrary, constant: "inflow outbox relay"
const BATCH = 500; // rows per produce: one Kafka request, well under the default 1 MB message-set size
const IDLE_POLL_MS = 1000; // NOTIFY wakes the relay at once; the poll covers a missed notification
const RETRY_MS = 1000; // after a Kafka or Postgres failure
const KEEP_SENT = '1 day'; // sent rows kept for inspection, then purged

export interface OutboxRelay {
  start(): Promise<void>;
  /** Sends everything pending now; returns how many rows it sent (0 if another relay holds the lock). */
  drain(): Promise<number>;
  stop(): Promise<void>;
}

export interface RelayHooks {
  /** Called after Kafka acked a batch and before the rows are marked sent (tests crash the relay here). */
  afterSend?(ids: string[]): Promise<void> | void;
}

type TopicBase = 'crm.changes' | 'crm.outcomes';
const SCHEMA: Record<TopicBase, 'change' | 'outcome'> = { 'crm.changes': 'change', 'crm.outcomes': 'outcome' };

export function createOutboxRelay(
  deps: { sql: Sql; producer: Producer; registry: SchemaRegistry; logger: Logger; hooks?: RelayHooks },
  cfg: Pick<Config, 'KAFKA_TOPIC_PREFIX'>,
): OutboxRelay {
  const { sql, producer, logger } = deps;
  const types = {} as Record<TopicBase, { type: avro.Type; id: number; topic: string }>;
  let running = false;
  let loop: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let passes = 0;

  let connected = false;
  async function prepare() {
    // connected here, inside the retry loop, so the api role starts and serves reads and writes while Kafka is down
    if (!connected) {
      await producer.connect();
      connected = true;
    }
    for (const base of Object.keys(SCHEMA) as TopicBase[]) {
      if (types[base]) continue;
      const topic = topicName(cfg, base);
      const id = await deps.registry.register(subjectFor(topic), readSchema(SCHEMA[base]));
      types[base] = { type: schemaType(SCHEMA[base]), id, topic };
    }
  }

  async function sendBatch(): Promise<number> {
    await prepare();
    return sql.begin(async (tx) => {
      const [lock] = await tx<{ ok: boolean }[]>`select pg_try_advisory_xact_lock(${RELAY_LOCK}) as ok -- outbox.relayLock`;
      if (!lock?.ok) return 0;
      const rows = await tx<{ id: string; topic: TopicBase; message_key: string; message_id: string; payload: Record<string, unknown>; created_at: Date }[]>`
        select id, topic, message_key, message_id, payload, created_at from outbox where sent_at is null order by id limit ${BATCH} -- outbox.pending`;
      if (rows.length === 0) return 0;
      const byTopic = new Map<string, { key: string; value: Buffer; headers: Record<string, string> }[]>();
      for (const r of rows) {
        const t = types[r.topic];
        const list = byTopic.get(t.topic) ?? [];
        list.push({ key: r.message_key, value: encode(t.type, t.id, r.payload), headers: { 'inflow-outbox-id': r.message_id } });
        byTopic.set(t.topic, list);
      }
      await producer.sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
      await deps.hooks?.afterSend?.(rows.map((r) => r.message_id));
      await tx`update outbox set sent_at = now() where id in ${tx(rows.map((r) => r.id))} -- outbox.markSent`;
      const now = Date.now();
      for (const r of rows) {
        outboxSent.inc({ topic: r.topic });
        outboxLag.observe((now - r.created_at.getTime()) / 1000);
      }
      return rows.length;
    });
  }

  async function drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await sendBatch();
      total += n;
      if (n < BATCH) return total;
    }
  }

  async function run() {
    while (running) {
      try {
        await drain();
        if (++passes % 600 === 0) await sql`delete from outbox where sent_at < now() - ${KEEP_SENT}::interval -- outbox.purge`;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, IDLE_POLL_MS).unref();
        });
      } catch (err) {
        logger.warn({ err }, 'outbox relay failed; retrying');
        await new Promise((r) => setTimeout(r, RETRY_MS).unref());
      }
    }
  }

  return {
    async start() {
      if (running) return;
      running = true;
      const listener = await sql.listen(OUTBOX_CHANNEL, () => wake?.());
      unlisten = () => listener.unlisten();
      loop = run();
    },
    drain,
    async stop() {
      running = false;
      wake?.();
      await loop;
      await unlisten?.();
    },
  };
}
