// One bench run: set up tenants and keys, start the samplers, drive the load, drain, check, measure the ceilings, report.
import { randomUUID } from 'node:crypto';
import { createApiKey, type Scope } from '../accounts/api-keys.ts';
import type { Config } from '../config.ts';
import { createKafka, topicName } from '../infra/kafka.ts';
import { createPostgres, type Sql } from '../infra/postgres.ts';
import { createDecoder } from '../schemas/avro.codec.ts';
import { createSchemaRegistry } from '../schemas/registry.client.ts';
import { schemaType } from '../schemas/schema-files.ts';
import { appliedByStatus, appliedIds, countApplied } from './applied.sampler.ts';
import type { BenchOptions } from './bench.options.ts';
import { runBulkAction, seedContacts, type BulkResult } from './bulk.scenario.ts';
import { measureBrokerCeiling } from './ceilings/broker.ceiling.ts';
import type { CeilingResult } from './ceilings/ceiling.types.ts';
import { measureClickHouseCeiling } from './ceilings/clickhouse.ceiling.ts';
import { measureHttpCeiling } from './ceilings/http.ceiling.ts';
import { measurePostgresCeiling } from './ceilings/postgres.ceiling.ts';
import { createClickHouseCounter } from './clickhouse.sampler.ts';
import { checkCorrectness } from './correctness.ts';
import { createEventGenerator } from './events.gen.ts';
import { discoverGroups, sampleLag, type LagSample } from './lag.sampler.ts';
import { runLoad, type LoadResult } from './load.driver.ts';
import { startOutcomesReader, type OutcomesReader } from './outcomes.reader.ts';
import { createProcSampler, pidListeningOn, type ProcessSample } from './proc.sampler.ts';
import { createRecorder } from './recorder.ts';
import { buildReport, type BenchReport, type FindMaxStep } from './report.ts';
import { createRequestFactory } from './scenarios.ts';
import { createHistogram } from './stats.ts';

export interface BenchProgress {
  start(total: number, unit: string): void;
  update(done: number, info: Record<string, string | number>): void;
  stop(): void;
  log(line: string): void;
}

const SCOPES: Scope[] = ['ingest', 'read', 'write', 'admin'];
const silent: BenchProgress = { start() {}, update() {}, stop() {}, log() {} };

export async function runBench(cfg: Config, o: BenchOptions, deps: { progress?: BenchProgress; command: string; servicePids?: { name: string; pid: number }[] }): Promise<BenchReport> {
  const progress = deps.progress ?? silent;
  const notes: string[] = [];
  const runId = randomUUID().slice(0, 8);
  const tenants = Array.from({ length: o.tenants }, (_, i) => `bench-${runId}-t${i}`);
  const sql: Sql = createPostgres(cfg, { max: 4, applicationName: 'inflow-bench' });
  const kafka = createKafka(cfg, undefined, 'inflow-bench');
  const admin = kafka.admin();
  const startedAt = new Date();
  let reader: OutcomesReader | undefined;
  try {
    // tenants and keys: several keys per tenant so the per-key rate limit is not what the bench measures
    const keys: string[][] = [];
    for (const t of tenants) {
      const ks: string[] = [];
      for (let k = 0; k < o.keysPerTenant; k++) ks.push((await createApiKey(sql, { tenantId: t, scopes: SCOPES, name: `bench ${runId}` })).key);
      keys.push(ks);
    }
    progress.log(`tenants ${tenants[0]} .. ${tenants[tenants.length - 1]} (${o.keysPerTenant} keys each)`);

    await admin.connect();
    const eventsTopic = topicName(cfg, 'crm.events');
    const outcomesTopic = topicName(cfg, 'crm.outcomes');
    const isBenchGroup = (g: string) => g.startsWith('inflow-bench-'); // our own outcomes readers
    const lagTargets: { group: string; topic: string }[] = await discoverGroups(admin, [eventsTopic, outcomesTopic], isBenchGroup).catch(() => []);
    if (!lagTargets.some((t) => t.topic === eventsTopic)) notes.push(`no consumer group had ${eventsTopic} assigned when the run started: is a worker running?`);
    const startLag = await sampleLag(admin, lagTargets.filter((t) => t.topic === eventsTopic), 0).catch(() => []);
    for (const l of startLag) {
      if (l.lag > 1000) notes.push(`${l.group} already had ${l.lag} messages of lag on ${l.topic} when the run started: it works through that backlog before the bench's events (use a fresh KAFKA_TOPIC_PREFIX for a clean measurement)`);
    }
    const rediscover = async () => {
      for (const t of await discoverGroups(admin, [eventsTopic, outcomesTopic], isBenchGroup)) {
        if (!lagTargets.some((x) => x.group === t.group && x.topic === t.topic)) lagTargets.push(t);
      }
    };

    const registry = createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL);
    const t0 = performance.now();
    const ms = () => performance.now() - t0;
    reader = await startOutcomesReader({ kafka, decoder: createDecoder(registry, schemaType('outcome')) }, { topic: outcomesTopic, tenants: new Set(tenants), startedAt: Date.now() });

    // processes: every service of the local stack, the inflow process behind the target port, this client
    const port = Number(new URL(o.url).port || 80);
    const inflowPid = pidListeningOn(port);
    const targets = [...(deps.servicePids ?? []), ...(inflowPid ? [{ name: `inflow :${port}`, pid: inflowPid }] : []), { name: 'bench client', pid: process.pid }];
    if (!inflowPid) notes.push(`no local process listens on port ${port}: inflow's CPU and RSS are not measured`);
    const procs = createProcSampler(targets);
    const processSamples: ProcessSample[] = [...procs.sample(0)];
    const lagSamples: LagSample[] = [];
    const applied: { t: number; total: number }[] = [{ t: 0, total: await countApplied(sql, tenants) }];
    const chCounter = createClickHouseCounter({ url: o.url, keys: keys.map((k) => k[0]!), fromMs: Date.now() });
    const chFirst = await chCounter.count().catch(() => null);
    const clickhouse: { t: number; total: number }[] | null = chFirst === null ? null : [{ t: 0, total: chFirst }];
    if (!clickhouse) notes.push('outcomes in ClickHouse not measured: GET /v1/analytics/outcomes did not answer (is the api role running?)');
    let sampling = false;
    let tick = 0;
    const sampleOnce = async () => {
      if (sampling) return; // a slow count must not pile up queries
      sampling = true;
      try {
        const t = ms();
        processSamples.push(...procs.sample(t));
        applied.push({ t, total: await countApplied(sql, tenants) });
        if (clickhouse && tick % 2 === 1) {
          const n = await chCounter.count();
          if (n !== null) clickhouse.push({ t, total: n });
        }
        if (tick % 15 === 14) await rediscover(); // a group that joined (or rebalanced into view) after the start
        if (tick++ % 2 === 0 && lagTargets.length) lagSamples.push(...(await sampleLag(admin, lagTargets, t)));
      } catch (err) {
        progress.log(`sampler: ${(err as Error).message}`);
      } finally {
        sampling = false;
      }
    };
    const sampler = setInterval(() => void sampleOnce(), 1000);

    // the load
    const generator = createEventGenerator({ tenants: o.tenants, cardinality: o.cardinality, duplicateShare: o.duplicateShare, invalidShare: o.invalidShare, seed: o.seed });
    const next = createRequestFactory({ scenario: o.scenario, batch: o.batch, generator, keys, acmeSecret: cfg.ACME_WEBHOOK_SECRET?.split(',')[0] });
    if (o.scenario === 'mixed' && !cfg.ACME_WEBHOOK_SECRET) notes.push('mixed: ACME_WEBHOOK_SECRET is not set, so no signed webhooks were sent (lead capture took their share)');
    const recorder = createRecorder();
    let bulk: Promise<BulkResult> | undefined;
    if (o.scenario === 'bulk') {
      const bulkTenant = tenants[0]!;
      progress.log(`seeding ${o.bulkContacts} contacts for ${bulkTenant}`);
      await seedContacts(sql, bulkTenant, o.bulkContacts);
    }
    const totalEvents = o.count ?? (o.durationMs ?? 0);
    progress.start(o.count ?? Math.round((o.durationMs ?? 0) / 1000), o.count ? 'events' : 's');
    const loadStart = ms();
    const onResponse: Parameters<typeof runLoad>[0]['onResponse'] = (r) => recorder.record(r, ms() - loadStart);
    const ticker = setInterval(() => {
      const tt = recorder.totals();
      const w = recorder.windows.get(Math.floor((ms() - loadStart) / 1000));
      progress.update(o.count ? tt.accepted : Math.min(Math.round((ms() - loadStart) / 1000), totalEvents / 1000), {
        rate: w?.accepted ?? 0,
        p99: w ? Math.round(w.latency.percentile(99)) : 0,
        errors: tt.errors,
        applied: (applied[applied.length - 1]?.total ?? 0) - applied[0]!.total,
        outcomes: reader?.count() ?? 0,
      });
    }, 500);
    if (o.scenario === 'bulk') {
      bulk = (async () => {
        await new Promise((r) => setTimeout(r, 2000)); // let ingest reach its rate first
        return runBulkAction({ url: o.url, key: keys[0]![0]!, contacts: o.bulkContacts, timeoutMs: Math.max(o.durationMs ?? 60_000, 60_000) * 3 });
      })();
    }
    let load: LoadResult;
    let findMax: FindMaxStep[] | null = null;
    const maxRequests = o.count !== undefined ? Math.ceil(o.count / o.batch) : undefined;
    if (o.findMax) {
      ({ load, steps: findMax } = await findMaxRate({ o, next, onResponse, admin, lagTargets, eventsTopic, log: progress.log }));
    } else {
      load = await runLoad({ url: o.url, connections: o.connections, next, onResponse, requestRate: o.rate ? o.rate / o.batch : undefined, durationMs: o.durationMs, maxRequests });
    }
    clearInterval(ticker);
    progress.stop();
    const loadMs = ms() - loadStart;

    // drain: until every accepted event is applied and has its outcome, or nothing moves for 20 s, or the timeout
    const expected = recorder.totals().acceptedDistinct;
    const drainStart = ms();
    let lastProgressAt = ms();
    let lastSeen = -1;
    progress.log(`load done: ${recorder.totals().accepted} events accepted in ${(loadMs / 1000).toFixed(1)} s; draining`);
    while (ms() - drainStart < o.drainTimeoutMs) {
      const appliedNow = (applied[applied.length - 1]?.total ?? 0) - applied[0]!.total;
      const outcomesNow = reader.count();
      const chNow = clickhouse ? clickhouse[clickhouse.length - 1]!.total - clickhouse[0]!.total : expected;
      if (appliedNow >= expected && outcomesNow >= expected && chNow >= expected) break;
      if (appliedNow + outcomesNow + chNow !== lastSeen) {
        lastSeen = appliedNow + outcomesNow + chNow;
        lastProgressAt = ms();
      } else if (ms() - lastProgressAt > 20_000) {
        notes.push(`drain stopped: nothing moved for 20 s (accepted ${expected}, applied ${appliedNow}, outcomes ${outcomesNow}, in ClickHouse ${clickhouse ? chNow : '-'})`);
        break;
      }
      await new Promise((r) => setTimeout(r, 500));
    }
    await new Promise((r) => setTimeout(r, 2500)); // two more samples after the last event, so the rates have an end
    const drainMs = ms() - drainStart;
    clearInterval(sampler);
    while (sampling) await new Promise((r) => setTimeout(r, 50));
    const bulkResult = bulk ? await bulk : undefined;
    if (bulkResult) notes.push(`bulk action ${bulkResult.actionId ?? '-'} over ${bulkResult.contacts} contacts: ${bulkResult.status} in ${bulkResult.seconds} s (${bulkResult.contactsPerS} contacts/s) ${JSON.stringify(bulkResult.counts)}${bulkResult.error ? ` ${bulkResult.error}` : ''}`);

    // correctness
    let correctness = null;
    if (o.check) {
      progress.log('checking: every accepted event applied exactly once, exactly one outcome each');
      correctness = checkCorrectness({ accepted: recorder.acceptedIds, applied: await appliedIds(sql, tenants), outcomes: reader.byEvent });
    }
    const byStatus = await appliedByStatus(sql, tenants);
    const outcomesSnapshot = { perSecond: reader.perSecond, count: reader.count(), statuses: reader.statuses, e2e: reader.e2e.count() ? reader.e2e.summary() : null };
    if (Object.keys(reader.otherKinds).length) notes.push(`outcomes of other kinds for the bench tenants (not counted as event outcomes): ${JSON.stringify(reader.otherKinds)}`);
    await reader.stop();
    reader = undefined;

    // ceilings, after the load so they do not compete with it
    const ceilings: CeilingResult[] = [];
    const ceilingEvents = Math.max(100_000, Math.min(500_000, expected));
    for (const c of o.ceilings) {
      progress.log(`ceiling: ${c}`);
      try {
        if (c === 'http') ceilings.push(await measureHttpCeiling({ next, connections: o.connections, durationMs: 10_000 }));
        if (c === 'broker') ceilings.push(await measureBrokerCeiling({ kafka }, { dataDir: cfg.dataDir, brokers: cfg.KAFKA_BROKERS, records: ceilingEvents, recordSize: 300, partitions: 6 }));
        if (c === 'postgres') ceilings.push(await measurePostgresCeiling({ sql }, { rows: Math.min(50_000, ceilingEvents) }));
        if (c === 'clickhouse') ceilings.push(await measureClickHouseCeiling({ dataDir: cfg.dataDir, rows: ceilingEvents }));
      } catch (err) {
        ceilings.push({ name: c, what: 'failed', eventsPerS: 0, error: (err as Error).message.slice(0, 300) });
      }
    }
    if (!o.check) notes.push('correctness check skipped (--no-check)');
    notes.push('outcomes (count, statuses, end-to-end latency, exactly-one check) are read from crm.outcomes, the topic the ClickHouse sink consumes; ClickHouse counts come from GET /v1/analytics/outcomes (its per-minute view)');

    return buildReport({
      scenario: o.scenario,
      startedAt,
      finishedAt: new Date(),
      command: deps.command,
      target: o.url,
      options: { ...o, runId, tenants },
      recorder,
      loadMs,
      drainMs,
      backlog: load.backlog,
      applied,
      appliedByStatus: byStatus,
      outcomesPerSecond: outcomesSnapshot.perSecond,
      outcomesTotal: outcomesSnapshot.count,
      outcomesByStatus: outcomesSnapshot.statuses,
      e2e: outcomesSnapshot.e2e,
      clickhouse,
      ceilings,
      processes: processSamples,
      lag: lagSamples,
      findMax,
      correctness,
      notes,
    });
  } finally {
    await reader?.stop().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await sql.end({ timeout: 5 });
  }
}

/**
 * Find-max: fixed-rate steps, each 1.5x the last, until the knee: more than 1% errors, the client p99 above 1 s,
 * the rate not reached (within 10%), or consumer lag on crm.events growing by more than 2 s of the step's rate.
 */
async function findMaxRate(a: {
  o: BenchOptions;
  next: Parameters<typeof runLoad>[0]['next'];
  onResponse: Parameters<typeof runLoad>[0]['onResponse'];
  admin: import('kafkajs').Admin;
  lagTargets: { group: string; topic: string }[];
  eventsTopic: string;
  log(line: string): void;
}): Promise<{ load: LoadResult; steps: FindMaxStep[] }> {
  const { o } = a;
  const steps: FindMaxStep[] = [];
  const started = performance.now();
  let rate = o.rate ?? (o.batch === 1 ? 200 : 1000); // first step (--rate): below what this box sustains, so the ramp shows the curve
  let requests = 0;
  const eventsLag = async () => {
    const ts = a.lagTargets.filter((t) => t.topic === a.eventsTopic);
    return ts.length ? (await sampleLag(a.admin, ts, 0)).reduce((x, l) => x + l.lag, 0) : 0;
  };
  while (performance.now() - started + o.stepMs <= (o.durationMs ?? 300_000)) {
    const latency = createHistogram();
    let errors = 0;
    let accepted = 0;
    const lagBefore = await eventsLag();
    const r = await runLoad({
      url: o.url,
      connections: o.connections,
      next: a.next,
      requestRate: rate / o.batch,
      durationMs: o.stepMs,
      onResponse: (res) => {
        a.onResponse(res);
        latency.record(res.latencyMs);
        if (res.status === 0 || res.status >= 400) errors++;
        else accepted += res.request.events;
      },
    });
    requests += r.requests;
    const lagGrowth = (await eventsLag()) - lagBefore;
    const acceptedPerS = Math.round(accepted / (r.elapsedMs / 1000));
    const p99 = Math.round(latency.percentile(99));
    const errorRate = r.requests ? errors / r.requests : 0;
    const ok = errorRate <= 0.01 && p99 <= 1000 && acceptedPerS >= rate * 0.9 && lagGrowth <= rate * 2;
    steps.push({ targetPerS: rate, acceptedPerS, p99, errorRate: Math.round(errorRate * 1000) / 1000, lagGrowth, ok });
    a.log(`find-max step ${rate}/s: accepted ${acceptedPerS}/s, p99 ${p99} ms, errors ${(errorRate * 100).toFixed(1)}%, lag +${lagGrowth}${ok ? '' : '  <- knee'}`);
    if (!ok) break;
    rate = Math.round(rate * 1.5);
  }
  return { load: { requests, elapsedMs: performance.now() - started, backlog: 0 }, steps };
}
