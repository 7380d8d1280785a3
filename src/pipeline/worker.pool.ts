// The worker pool: `inflow start worker --concurrency N` forks N OS processes (worker.child.ts), each one kafkajs
// consumer (createWorker, concurrency 1) in the same group. Processes, not threads: the worker is Node-CPU-bound
// (decode, normalize, encode), a crash or kill -9 takes one member and its in-flight batch only, and each child has its
// own heap and GC. This parent supervises (a child that dies is restarted with backoff while the group rebalances its
// partitions to the others), fans pause/resume out over IPC, and aggregates status and Prometheus metrics.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AssignerProtocol, type Admin } from 'kafkajs';
import { AggregatorRegistry, Counter, Gauge, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';
import type { Config } from '../config.ts';
import type { Logger } from '../infra/logger.ts';
import { topicName } from '../infra/kafka.ts';
import type { FaultPoint } from './batch.pipeline.ts';
import type { PartitionStatus, WorkerOptions, WorkerStatus } from './worker.ts';
import * as workerMetrics from './worker.metrics.ts';

/** parent -> child: one request, one reply with the same id */
export interface ChildRequest { id: number; op: 'pause' | 'resume' | 'status' | 'metrics' | 'stop' }
export type ChildMessage = { type: 'ready' } | { type: 'reply'; id: number; value: unknown };
export interface ChildInit { index: number; paused: boolean; faultPoint?: FaultPoint }
type Metrics = MetricObjectWithValues<MetricValue<string>>[];
type Aggregated = ReturnType<typeof AggregatorRegistry.aggregate>;

/** The worker's metrics (worker.metrics.ts) as prom-client declares them: children report these, the parent aggregates them. */
export const workerMetricDefs = () => Object.values(workerMetrics).map((m) => m as unknown as { name: string; help: string; type: string; aggregator: string });

export interface PoolMember {
  index: number;
  pid: number | null;
  state: 'starting' | 'running' | 'restarting' | 'stopped';
  restarts: number;
  lastExit: { at: string; code: number | null; signal: string | null } | null;
  /** this member's partitions as the broker assigned them */
  partitions: number[];
  processed: Record<string, number>;
  paused: boolean;
  retrying: boolean;
  lastError: WorkerStatus['lastError'];
}
export interface PoolStatus extends WorkerStatus {
  /** every partition with the pool process (`worker`) that owns it */
  partitions: (PartitionStatus & { worker: number })[];
  workers: PoolMember[];
}

export interface WorkerPool {
  start(): Promise<void>;
  stop(): Promise<void>;
  pause(): Promise<void>;
  resume(): Promise<void>;
  status(): Promise<PoolStatus>;
}

/** The createWorker options a `start worker` process derives from its config (pool children and the inline mode). */
export function workerOptionsFrom(cfg: Config): WorkerOptions {
  return {
    groupId: cfg.WORKER_GROUP_ID ?? `${cfg.KAFKA_TOPIC_PREFIX}inflow-worker`,
    topic: topicName(cfg, 'crm.events'),
    emit: { outcomes: topicName(cfg, 'crm.outcomes'), changes: topicName(cfg, 'crm.changes'), dlq: topicName(cfg, 'crm.events.dlq') },
    batchSize: cfg.WORKER_BATCH_SIZE,
    partitionsConcurrently: cfg.WORKER_PARTITIONS_PER_CONSUMER,
    fetchMinBytes: cfg.WORKER_FETCH_MIN_BYTES,
    fetchMaxWaitMs: cfg.WORKER_FETCH_MAX_WAIT_MS,
    dedupWindowDays: cfg.DEDUP_WINDOW_DAYS,
    namespace: cfg.KAFKA_TOPIC_PREFIX,
    geoip: cfg.WORKER_GEOIP === 'on',
    mode: cfg.WORKER_MODE,
  };
}

/** A child's Kafka client id carries its pid, so the broker's view of the group maps back to a live child. */
export const childClientId = (base: string, index: number, pid: number) => `${base}-worker-${index}-${pid}`;

const poolProcesses = new Gauge({ name: 'worker_pool_processes', help: 'Worker processes alive in the pool', registers: [] });
const poolRestarts = new Counter({ name: 'worker_pool_restarts_total', help: 'Worker processes restarted after they died', registers: [] });

interface Slot {
  index: number;
  child?: ChildProcess;
  state: PoolMember['state'];
  restarts: number;
  failures: number;
  startedAt: number;
  lastExit: PoolMember['lastExit'];
  status?: WorkerStatus;
  metrics?: Metrics;
  timer?: NodeJS.Timeout;
  ready?: () => void;
}

export function createWorkerPool(
  deps: { logger: Logger; admin: Admin; registry: Registry },
  options: { size: number; groupId: string; topic: string; faultPoint?: FaultPoint },
): WorkerPool {
  if (!Number.isInteger(options.size) || options.size < 1) throw new Error(`--concurrency: a whole number >= 1, got ${options.size}`);
  const logger = deps.logger.child({ module: 'worker.pool' });
  const entry = fileURLToPath(new URL('./worker.child.ts', import.meta.url));
  const tsx = import.meta.resolve('tsx'); // children run the TypeScript sources like bin/inflow.mjs does
  const slots: Slot[] = Array.from({ length: options.size }, (_, index) => ({ index, state: 'starting', restarts: 0, failures: 0, startedAt: 0, lastExit: null }));
  const pending = new Map<number, { slot: Slot; resolve: (v: unknown) => void }>();
  let nextId = 1;
  let paused = false;
  let stopping = false;
  let startedAt: string | null = null;
  let supervisorError: WorkerStatus['lastError'] = null;
  const retired = { processed: {} as Record<string, number>, metrics: [] as Metrics[] }; // what dead children counted
  let poll: NodeJS.Timeout | undefined;

  /** One IPC round trip; undefined when the child is gone or silent (callers fall back to its last answer). */
  function ask(slot: Slot, op: ChildRequest['op'], timeoutMs = 3_000): Promise<unknown> {
    const child = slot.child;
    // only after `ready`: a message that arrives while the child is still loading its modules would be dropped
    if (!child?.connected || slot.state !== 'running') return Promise.resolve(undefined);
    const id = nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => pending.delete(id) && resolve(undefined), timeoutMs);
      pending.set(id, { slot, resolve: (v) => (clearTimeout(timer), resolve(v)) });
      child.send({ id, op } satisfies ChildRequest, (err) => err && pending.delete(id) && resolve(undefined));
    });
  }

  async function refresh(slot: Slot): Promise<void> {
    const [status, metrics] = await Promise.all([ask(slot, 'status'), ask(slot, 'metrics')]);
    if (status) slot.status = status as WorkerStatus;
    if (metrics) slot.metrics = metrics as Metrics;
  }

  function spawn(slot: Slot, ready?: () => void): void {
    const init: ChildInit = { index: slot.index, paused, faultPoint: slot.restarts === 0 ? options.faultPoint : undefined }; // a fault fires once
    const child = fork(entry, [JSON.stringify(init)], { execArgv: ['--import', tsx], serialization: 'advanced' });
    Object.assign(slot, { child, state: 'starting', startedAt: Date.now(), status: undefined, metrics: undefined, ready });
    poolProcesses.set(slots.filter((s) => s.child).length);
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') {
        slot.state = 'running';
        logger.info({ worker: slot.index, pid: child.pid }, 'worker process ready');
        if (paused !== init.paused) void ask(slot, paused ? 'pause' : 'resume'); // the pool changed state while it started
        slot.ready?.();
      } else {
        pending.get(m.id)?.resolve(m.value);
        pending.delete(m.id);
      }
    });
    child.once('exit', (code, signal) => {
      if (slot.status) {
        for (const [k, v] of Object.entries(slot.status.processed)) retired.processed[k] = (retired.processed[k] ?? 0) + v;
        if (slot.metrics) retired.metrics.push(slot.metrics.filter((m) => String(m.type) !== 'gauge')); // counters and histograms keep counting
      }
      Object.assign(slot, { status: undefined, metrics: undefined }); // counted once, in `retired`
      for (const [id, p] of pending) if (p.slot === slot) (p.resolve(undefined), pending.delete(id));
      slot.child = undefined;
      slot.lastExit = { at: new Date().toISOString(), code, signal };
      poolProcesses.set(slots.filter((s) => s.child).length);
      if (stopping) {
        slot.state = 'stopped';
        return;
      }
      // consecutive deaths within a minute back off 1 s, 2 s, 4 s ... 30 s: a broken dependency is not hammered
      slot.failures = Date.now() - slot.startedAt > 60_000 ? 1 : slot.failures + 1;
      const delay = Math.min(30_000, 1_000 * 2 ** (slot.failures - 1));
      slot.state = 'restarting';
      slot.restarts++;
      poolRestarts.inc();
      supervisorError = { at: slot.lastExit.at, message: `worker process ${slot.index} (pid ${child.pid}) exited (code ${code}, signal ${signal}); restarting in ${delay} ms`, dependency: 'worker' };
      logger.error({ worker: slot.index, pid: child.pid, code, signal, delay }, 'worker process died; its partitions move to the others until it is back');
      slot.timer = setTimeout(() => spawn(slot, slot.ready), delay);
    });
  }

  /** The broker's view: which live child (by the pid in its client id) owns which partitions. */
  async function assignments(): Promise<Map<number, number[]>> {
    const out = new Map<number, number[]>();
    const { groups } = await deps.admin.describeGroups([options.groupId]).catch(() => ({ groups: [] }));
    for (const member of groups[0]?.members ?? []) {
      const pid = Number(member.clientId.split('-').pop());
      const slot = slots.find((s) => s.child?.pid === pid);
      const decoded = member.memberAssignment.length ? AssignerProtocol.MemberAssignment.decode(member.memberAssignment) : null;
      if (slot && decoded) out.set(slot.index, (decoded.assignment[options.topic] ?? []).slice().sort((a, b) => a - b));
    }
    return out;
  }

  /** Children's metrics summed (plus what dead children counted); lag only from the partitions a child owns now. */
  let aggregated: { at: number; registry: Promise<Aggregated> } | undefined;
  function aggregate(): Promise<Aggregated> {
    if (aggregated && Date.now() - aggregated.at < 1_000) return aggregated.registry; // one IPC round per scrape, not per metric
    const registry = (async () => {
      const [owned] = await Promise.all([assignments(), ...slots.map(refresh)]);
      const live = slots.flatMap((s) => (s.child && s.metrics ? [s.metrics.map((m) => m.name === 'consumer_lag' ? { ...m, values: m.values.filter((v) => owned.get(s.index)?.includes(Number(v.labels.partition))) } : m)] : []));
      return AggregatorRegistry.aggregate([...live, ...retired.metrics] as Parameters<typeof AggregatorRegistry.aggregate>[0]);
    })();
    aggregated = { at: Date.now(), registry };
    return registry;
  }

  function registerMetrics(): void {
    for (const metric of workerMetricDefs()) {
      deps.registry.removeSingleMetric(metric.name); // this process consumes nothing: the children's numbers stand in
      deps.registry.registerMetric({
        name: metric.name, help: metric.help, type: metric.type, aggregator: metric.aggregator,
        get: async () => (await (await aggregate()).getSingleMetric(metric.name)?.get()) ?? { name: metric.name, help: metric.help, type: metric.type, aggregator: metric.aggregator, values: [] },
      } as unknown as Parameters<Registry['registerMetric']>[0]);
    }
    for (const m of [poolProcesses, poolRestarts]) if (!deps.registry.getSingleMetric((m as unknown as { name: string }).name)) deps.registry.registerMetric(m);
  }

  async function fanOut(op: 'pause' | 'resume'): Promise<void> {
    paused = op === 'pause'; // a child started later begins in this state
    await Promise.all(slots.map((s) => ask(s, op)));
  }

  return {
    async start() {
      registerMetrics();
      startedAt = new Date().toISOString();
      await Promise.all(slots.map((s) => new Promise<void>((resolve) => spawn(s, resolve))));
      poll = setInterval(() => void Promise.all(slots.map(refresh)), 5_000); // keeps each child's last counts fresh for when it dies
      poll.unref();
      logger.info({ processes: options.size, pids: slots.map((s) => s.child?.pid) }, 'worker pool started');
    },
    async stop() {
      stopping = true;
      clearInterval(poll);
      const live = slots.filter((s) => (clearTimeout(s.timer), s.child));
      await Promise.all(live.map(async (s) => {
        const child = s.child!;
        const exited = new Promise((r) => child.once('exit', r));
        // the child finishes its in-flight batch, commits, leaves the group, closes; one still starting gets SIGTERM
        if (s.state === 'running') void ask(s, 'stop', 12_000);
        else child.kill('SIGTERM');
        const late = setTimeout(() => child.kill('SIGKILL'), 12_000); // inside the 15 s shutdown budget; a kill is safe (exactly-once)
        await exited;
        clearTimeout(late);
      }));
      logger.info({ processes: live.length }, 'worker pool stopped');
    },
    pause: () => fanOut('pause'),
    resume: () => fanOut('resume'),
    async status() {
      const [owned] = await Promise.all([assignments(), ...slots.map(refresh)]);
      const workers: PoolMember[] = slots.map((s) => ({
        index: s.index, pid: s.child?.pid ?? null, state: s.state, restarts: s.restarts, lastExit: s.lastExit, partitions: s.child ? owned.get(s.index) ?? [] : [],
        processed: s.status?.processed ?? {}, paused: s.status?.paused ?? false, retrying: s.status?.retrying ?? false, lastError: s.status?.lastError ?? null,
      }));
      const processed = { ...retired.processed };
      for (const w of workers) for (const [k, v] of Object.entries(w.processed)) processed[k] = (processed[k] ?? 0) + v;
      const partitions: (PartitionStatus & { worker: number })[] = workers.flatMap((w) => w.partitions.map((partition) => {
        const known = slots[w.index]!.status?.partitions.find((p) => p.partition === partition);
        return { topic: options.topic, partition, committed: known?.committed ?? null, highWatermark: known?.highWatermark ?? null, lag: known?.lag ?? null, consumer: 0, worker: w.index };
      })).sort((a, b) => a.partition - b.partition);
      const errors = [supervisorError, ...workers.map((w) => w.lastError)].filter((e) => e !== null).sort((a, b) => b.at.localeCompare(a.at));
      const firstBatch = slots.map((s) => s.status?.firstBatchAt).filter((t): t is number => typeof t === 'number');
      const times = (f: (w: WorkerStatus) => number | null) => slots.map((s) => (s.status ? f(s.status) : null)).filter((t): t is number => typeof t === 'number');
      const chunkStarts = times((w) => w.lastChunkStartedAt);
      const resumedChunks = times((w) => w.resumedChunkAt);
      const chunksDone = times((w) => w.lastChunkDoneAt);
      return {
        running: workers.some((w) => w.state === 'running'), paused, consumers: workers.filter((w) => w.pid !== null).length, partitions, processed,
        lastError: errors[0] ?? null, retrying: workers.some((w) => w.retrying), startedAt, firstBatchAt: firstBatch.length ? Math.min(...firstBatch) : null,
        lastChunkStartedAt: chunkStarts.length ? Math.max(...chunkStarts) : null,
        resumedChunkAt: resumedChunks.length ? Math.min(...resumedChunks) : null, lastChunkDoneAt: chunksDone.length ? Math.max(...chunksDone) : null,
        consumersJoined: slots.reduce((n, s) => n + (s.status?.consumersJoined ?? 0), 0), workers,
      };
    },
  };
}
