// Faults lose nothing and double nothing: kill -9 of the worker at injected points, Redis flushed with the group
// rewound, Postgres stopped (immediate) and the broker killed mid-run. Every event is checked in Postgres and on the
// outcomes topic: applied exactly once, exactly one outcome id per event.
import { afterAll, describe, expect, it } from 'vitest';
import type { CrmEvent, Outcome } from '../../src/pipeline/event.types.ts';
import { localServices } from '../../src/stack/stack.ts';
import { crmEvent, distinctOutcomes, pipelineEnv, produceEvents, readOutcomes, startWorker, type PipelineEnv } from './pipeline.support.ts';
import { spawnWorker } from './worker.process.ts';

const envs: PipelineEnv[] = [];

/** ready() waits 60 s; a broker recovering its log after SIGKILL may need a few of those. */
async function readyWithin(ready: () => Promise<void>, attempts: number): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await ready();
    } catch (err) {
      if (i >= attempts) throw err;
    }
  }
}
afterAll(async () => {
  for (const e of envs) await e.close();
});

async function freshEnv(name: string): Promise<PipelineEnv> {
  const env = await pipelineEnv(name);
  envs.push(env);
  return env;
}

/** n events over n/5 contacts, each contact's events in time order (so every one of them must apply). */
function workload(env: PipelineEnv, n: number, tag: string): CrmEvent[] {
  const t0 = Date.now() - 3_600_000;
  return Array.from({ length: n }, (_, i) => {
    const entity = `${tag}-c${i % Math.max(1, Math.floor(n / 5))}`;
    return crmEvent(env, {
      type: i < n / 5 ? 'contact.created' : 'contact.updated',
      entity_id: entity,
      occurred_at: t0 + i * 1000,
      contact: { first_name: `n${i}`, last_name: null, email: `${entity}@x.io`, phone: null, company: null, title: null, country: null, owner_id: null, status: null, tags: null },
    });
  });
}

const allOutcomes = (env: PipelineEnv, events: CrmEvent[], timeoutMs = 120_000) => {
  const ids = new Set(events.map((e) => e.event_id));
  return readOutcomes(env, (os) => new Set(os.filter((o) => ids.has(o.event_id!)).map((o) => o.event_id)).size === ids.size, timeoutMs);
};

/** The exactly-once check: Postgres and the outcomes topic agree, every event applied once, one outcome id each. */
async function expectExactlyOnce(env: PipelineEnv, events: CrmEvent[], outcomes: Outcome[]): Promise<void> {
  const byEvent = distinctOutcomes(outcomes);
  for (const e of events) {
    const mine = byEvent.get(e.event_id) ?? [];
    // one `applied`; anything else can only be a `duplicate` of a second copy in the log (a producer retry),
    // and each copy has exactly one outcome id
    expect(mine.filter((o) => o.status === 'applied'), `event ${e.event_id}`).toHaveLength(1);
    expect(mine.every((o) => o.status === 'applied' || o.status === 'duplicate'), `event ${e.event_id}`).toBe(true);
    expect(new Set(mine.map((o) => `${o.partition}@${o.offset}`)).size, `event ${e.event_id}`).toBe(mine.length);
  }
  const perEntity = new Map<string, number>();
  for (const e of events) perEntity.set(e.entity_id, (perEntity.get(e.entity_id) ?? 0) + 1);
  const rows = await env.sql<{ id: string; version: string; last_event_id: string }[]>`
    select id, version::text, last_event_id from contacts where tenant_id = ${env.tenant}`;
  expect(rows).toHaveLength(perEntity.size);
  for (const r of rows) expect(Number(r.version), `contact ${r.id}`).toBe(perEntity.get(r.id));
  const [p] = await env.sql<{ n: string }[]>`select count(*)::text as n from processed_events where tenant_id = ${env.tenant} and status = 'applied'`;
  expect(Number(p!.n)).toBe(events.length);
  // the version an outcome reports is the version that event produced: all distinct per entity
  const versions = new Set(outcomes.filter((o) => o.status === 'applied').map((o) => `${o.entity_id}@${o.entity_version}`));
  expect(versions.size).toBe(events.length);
}

describe('kill -9 of a worker at an injected point', () => {
  for (const point of ['after_pg_commit', 'after_redis_write', 'after_produce'] as const) {
    it(`${point}: after a restart every event is applied exactly once, with one outcome id`, { timeout: 240_000 }, async () => {
      const env = await freshEnv(`kill-${point.replaceAll('_', '-')}`);
      const events = workload(env, 300, point);
      await produceEvents(env, events);

      const doomed = await spawnWorker(env, { INFLOW_FAULT_POINT: point });
      const death = await doomed.exited;
      expect(death.signal, doomed.output()).toBe('SIGKILL');
      const [applied] = await env.sql<{ n: string }[]>`select count(*)::text as n from processed_events where tenant_id = ${env.tenant}`;
      expect(Number(applied!.n)).toBeGreaterThan(0); // it died after committing something

      const healthy = await spawnWorker(env);
      try {
        const outcomes = await allOutcomes(env, events);
        await expectExactlyOnce(env, events, outcomes);
      } finally {
        await healthy.stop();
      }
    });
  }
});

describe('dependencies failing mid-run', () => {
  it('Redis flushed mid-run, then the group rewound to the earliest offset: nothing is applied twice', { timeout: 240_000 }, async () => {
    const env = await freshEnv('redis-flush');
    const first = workload(env, 200, 'a');
    const second = workload(env, 200, 'b');
    let worker = await startWorker(env);
    await produceEvents(env, first);
    await allOutcomes(env, first);
    // FLUSHDB of the test database (db 1) rather than FLUSHALL: db 0 belongs to whoever runs inflow on this machine
    await env.redis.flushdb();
    await produceEvents(env, second);
    await allOutcomes(env, [...first, ...second]);
    await worker.stop();

    const admin = env.kafka.admin();
    await admin.connect();
    await admin.resetOffsets({ groupId: env.groupId, topic: env.topics.events, earliest: true });
    await admin.disconnect();
    await env.redis.flushdb();
    worker = await startWorker(env);
    try {
      const all = [...first, ...second];
      const ids = new Set(all.map((e) => e.event_id));
      // every event's outcome now appears at least twice on the topic (first processing + re-emission after the rewind)
      const outcomes = await readOutcomes(env, (os) => os.filter((o) => ids.has(o.event_id!)).length >= 2 * all.length, 120_000);
      await expectExactlyOnce(env, all, outcomes);
    } finally {
      await worker.stop();
    }
  });

  it('Postgres stopped (immediate) and restarted mid-run: nothing lost, nothing doubled', { timeout: 240_000 }, async () => {
    const env = await freshEnv('pg-restart');
    const services = localServices(env.cfg);
    const first = workload(env, 200, 'a');
    const second = workload(env, 200, 'b');
    const worker = await startWorker(env, { batchSize: 50 });
    try {
      await produceEvents(env, first);
      await readOutcomes(env, (os) => os.length >= 20);
      await services.postgres.stop('SIGKILL');
      try {
        await produceEvents(env, second); // accepted while Postgres is down: the worker holds and retries
        await new Promise((r) => setTimeout(r, 3000)); // let the worker hit the outage for a few attempts
        expect(worker.status().retrying).toBe(true);
      } finally {
        await services.postgres.start(() => {});
        await services.postgres.ready();
      }
      const all = [...first, ...second];
      await expectExactlyOnce(env, all, await allOutcomes(env, all));
    } finally {
      await worker.stop();
    }
  });

  it('the broker killed and restarted mid-run: nothing lost, nothing doubled', { timeout: 300_000 }, async () => {
    const env = await freshEnv('broker-restart');
    const services = localServices(env.cfg);
    const all = workload(env, 600, 'k');
    await produceEvents(env, all);
    const worker = await startWorker(env, { batchSize: 25 });
    try {
      await readOutcomes(env, (os) => os.length >= 25);
      await services.kafka.stop('SIGKILL');
      try {
        await new Promise((r) => setTimeout(r, 2000)); // the broker stays down for a moment while the worker is mid-run
      } finally {
        await services.kafka.start(() => {});
        await readyWithin(() => services.kafka.ready(), 3); // KRaft recovery after SIGKILL can take over a minute on a loaded box
      }
      await expectExactlyOnce(env, all, await allOutcomes(env, all, 180_000));
    } finally {
      await worker.stop();
    }
  });
});
