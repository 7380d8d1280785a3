// A short bench end to end: a real inflow (edge + worker + sink + api, its own process, private topics) driven for a few
// seconds; the report must show the pipeline's throughput, its latency, the ceilings, and a passing exactly-once check.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeReports } from '../../src/bench/bench.command.ts';
import { parseBenchOptions } from '../../src/bench/bench.options.ts';
import { runBench } from '../../src/bench/bench.run.ts';
import type { BenchReport } from '../../src/bench/report.ts';
import { PROJECT_ROOT } from '../../src/config.ts';
import { createKafka, ensureTopics, loadTopicDefinitions } from '../../src/infra/kafka.ts';
import { registerSchemas } from '../../src/schemas/schema-files.ts';
import { createSchemaRegistry } from '../../src/schemas/registry.client.ts';
import { status } from '../../src/stack/stack.ts';
import { testConfig, unique } from '../support/helpers.ts';

const prefix = `${unique('t.bench')}.`;
const chdbPath = path.join(PROJECT_ROOT, '.inflow', 'test', 'chdb-bench');
const outDir = path.join(PROJECT_ROOT, '.inflow', 'test', 'bench-run');

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

describe('inflow bench ingest-batch against a running inflow', () => {
  let inflow: ChildProcess;
  let port: number;
  let report: BenchReport;

  beforeAll(async () => {
    port = await freePort();
    const cfg = testConfig({ KAFKA_TOPIC_PREFIX: prefix, CHDB_PATH: chdbPath, HTTP_PORT: String(port) });
    const admin = createKafka(cfg).admin();
    await admin.connect();
    await ensureTopics(admin, loadTopicDefinitions(), prefix);
    await admin.disconnect();
    await registerSchemas(createSchemaRegistry(cfg.SCHEMA_REGISTRY_URL), prefix);
    rmSync(chdbPath, { recursive: true, force: true });
    inflow = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'inflow.mjs'), 'start', 'edge', 'worker', 'sink', 'api'], {
      env: { ...process.env, KAFKA_TOPIC_PREFIX: prefix, CHDB_PATH: chdbPath, HTTP_PORT: String(port), LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const deadline = Date.now() + 90_000;
    for (;;) {
      const ok = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline || inflow.exitCode !== null) throw new Error('inflow did not start');
      await new Promise((r) => setTimeout(r, 250)); // polling: the process has no readiness channel but /health
    }

    const options = parseBenchOptions('ingest-batch', { duration: '5s', rate: '2000', tenants: '2', drainTimeout: '90s' }, { url: `http://127.0.0.1:${port}`, outDir });
    const servicePids = (await status(cfg)).filter((s) => s.pid).map((s) => ({ name: s.name, pid: s.pid! }));
    report = await runBench(cfg, options, { command: 'test: inflow bench ingest-batch --duration 5s --rate 2000', servicePids });
  }, 400_000);

  afterAll(async () => {
    if (inflow && inflow.exitCode === null) {
      inflow.kill('SIGTERM');
      await new Promise((r) => inflow.once('exit', r));
    }
    rmSync(chdbPath, { recursive: true, force: true });
  });

  it('accepts, applies and emits an outcome for every event, exactly once', () => {
    const s = report.summary;
    expect(s.errors).toBe(0);
    expect(s.accepted).toBeGreaterThan(5_000); // 2000/s for 5 s, less the ramp-up
    expect(report.correctness).toMatchObject({ ok: true, accepted: s.acceptedDistinct, applied: s.acceptedDistinct, withOutcome: s.acceptedDistinct });
    expect(s.appliedByStatus).toEqual({ applied: s.acceptedDistinct });
    expect(s.outcomesByStatus).toEqual({ applied: s.acceptedDistinct });
    expect(s.clickhouseOutcomes).toBeGreaterThanOrEqual(s.acceptedDistinct); // the sink's per-minute view, via the analytics API
  });

  it('holds the fixed rate and measures client and end-to-end latency', () => {
    const s = report.summary;
    // Fixed-rate mode never exceeds the asked rate; how close a loaded machine gets to it is bench/'s business, not a test's.
    expect(s.acceptedPerS).toBeGreaterThan(500);
    expect(s.acceptedPerS).toBeLessThan(2_200);
    expect(s.latencyMs.p99).toBeGreaterThan(0);
    expect(s.e2eLatencyMs!.count).toBe(s.acceptedDistinct);
    expect(s.e2eLatencyMs!.p50).toBeGreaterThan(0);
    expect(s.appliedPerS).toBeGreaterThan(0);
    expect(s.outcomesPerS).toBeGreaterThan(0);
  });

  it('measures every ceiling in the same run and gives each result as a ratio to its ceiling', () => {
    expect(report.ceilings.map((c) => c.name)).toEqual(['http', 'broker', 'postgres', 'clickhouse']);
    for (const c of report.ceilings) {
      expect(c.error).toBeUndefined();
      expect(c.eventsPerS).toBeGreaterThan(1_000);
    }
    for (const v of Object.values(report.ratios)) expect(v).toBeGreaterThan(0);
  });

  it('samples the processes and the consumer lag of the worker group', () => {
    const names = report.processes.map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['postgres', 'kafka', 'bench client', `inflow :${port}`]));
    expect(report.processes.find((p) => p.name.startsWith('inflow'))!.rssMbMax).toBeGreaterThan(50);
    expect(report.lag.map((l) => l.group)).toContain(`${prefix}inflow-worker`);
  });

  it('writes the JSON and HTML reports', () => {
    const files = writeReports(report, outDir);
    expect(existsSync(files.html)).toBe(true);
    expect((JSON.parse(readFileSync(files.json, 'utf8')) as BenchReport).format).toBe('inflow-bench/1');
    expect(readFileSync(files.html, 'utf8')).toContain('PASS');
  });
});
