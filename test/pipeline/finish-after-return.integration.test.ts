// A batch returns to kafkajs before its last chunk's produce and offset commit complete (worker.ts: the finish is
// carried to the partition's next batch). Against the real stack: offsets still end at the end of the log, stop()
// commits what was applied before it leaves the group, and across rebalances a committed offset never moves back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin } from 'kafkajs';
import type { Worker } from '../../src/pipeline/worker.ts';
import { crmEvent, pipelineEnv, produceEvents, startWorker, waitFor, type PipelineEnv } from './pipeline.support.ts';

let env: PipelineEnv;
let admin: Admin;

beforeAll(async () => {
  env = await pipelineEnv('finish');
  admin = env.kafka.admin();
  await admin.connect();
});
afterAll(async () => {
  await admin?.disconnect();
  await env?.close();
});

const leads = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => crmEvent(env, { type: 'lead.created', entity_id: `${tag}-${i}`, consent: true, lead: null }));

async function committed(): Promise<Map<number, bigint>> {
  const [topic] = await admin.fetchOffsets({ groupId: env.groupId, topics: [env.topics.events] });
  return new Map(topic!.partitions.map((p) => [p.partition, BigInt(p.offset)]));
}

async function ends(): Promise<Map<number, bigint>> {
  return new Map((await admin.fetchTopicOffsets(env.topics.events)).map((p) => [p.partition, BigInt(p.high)]));
}

const appliedRows = async () => {
  const rows = await env.sql<{ n: number }[]>`select count(*)::int as n from processed_events where tenant_id = ${env.tenant}`;
  return rows[0]!.n;
};

describe('a batch returns before its last chunk is committed', () => {
  it('commits every partition to the end of the log, and stop() commits what was applied before it leaves', async () => {
    const worker = await startWorker(env, { batchSize: 40 });
    try {
      await produceEvents(env, leads(600, 'a'));
      await waitFor(async () => Object.values(worker.status().processed).reduce((a, b) => a + b, 0) === 600);
      const end = await ends();
      await waitFor(async () => [...(await committed())].every(([p, at]) => at === end.get(p)), 10_000);

      // applied in Postgres, then stopped at once: the last chunks' produce and commit complete before the group is left
      await produceEvents(env, leads(400, 'b'));
      await waitFor(async () => (await appliedRows()) === 1000, 45_000, 20);
    } finally {
      await worker.stop();
    }
    const end = await ends();
    expect(Object.fromEntries(await committed())).toEqual(Object.fromEntries(end));
  });

  it('stop() while paused with a batch held does not wait out its 10 s bound, and commits what was applied', async () => {
    const before = await appliedRows();
    const worker = await startWorker(env, { batchSize: 20 });
    await produceEvents(env, leads(600, 'p'));
    await waitFor(async () => (await appliedRows()) > before, 45_000, 5);
    worker.pause(); // the batches in flight now wait at their next chunk
    await new Promise((r) => setTimeout(r, 300));
    const t0 = Date.now();
    await worker.stop();
    expect(Date.now() - t0).toBeLessThan(8_000);
    const applied = await appliedRows();
    const offsets = await committed();
    const committedEvents = [...offsets.values()].reduce((a, at) => a + (at > 0n ? Number(at) : 0), 0);
    // each partition's offset counts its messages of this file's earlier tests too; everything applied is committed
    const earlier = await env.sql<{ n: number }[]>`select count(*)::int as n from processed_events where tenant_id = ${env.tenant}`;
    expect(committedEvents).toBe(earlier[0]!.n);
    expect(applied).toBeLessThanOrEqual(before + 600);
    const rest = await startWorker(env, { batchSize: 20 }); // the rest, so the next test starts from a drained topic
    await waitFor(async () => (await appliedRows()) === before + 600);
    await rest.stop();
  });

  it('never moves a committed offset back while members join and leave mid-run; every event applied once', async () => {
    const before = await appliedRows();
    const seen = new Map<number, bigint>();
    const regressions: string[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const [p, at] of await committed().catch(() => new Map<number, bigint>())) {
          const last = seen.get(p);
          if (last !== undefined && at >= 0n && at < last) regressions.push(`partition ${p}: ${last} -> ${at}`);
          if (at >= 0n) seen.set(p, at);
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    const workers: Worker[] = [];
    try {
      await produceEvents(env, leads(4000, 'c'));
      workers.push(await startWorker(env, { batchSize: 40 }));
      await waitFor(async () => (await appliedRows()) > before + 500, 45_000, 20);
      workers.push(await startWorker(env, { batchSize: 40 })); // a rebalance while the first has chunks finishing
      await waitFor(async () => (await appliedRows()) > before + 2000, 45_000, 20);
      await workers.shift()!.stop(); // and another as the first leaves
      await waitFor(async () => (await appliedRows()) === before + 4000, 60_000);
      const end = await ends();
      await waitFor(async () => [...(await committed())].every(([p, at]) => at === end.get(p)), 30_000);
    } finally {
      watching = false;
      await watcher;
      await Promise.all(workers.map((w) => w.stop()));
    }
    expect(regressions).toEqual([]);
    const rows = await env.sql<{ n: number; distinct: number }[]>`
      select count(*)::int as n, count(distinct event_id)::int as distinct from processed_events where tenant_id = ${env.tenant}`;
    const { n, distinct } = rows[0]!;
    expect(n).toBe(before + 4000);
    expect(distinct).toBe(n);
  });
});
