// CPU profile of the edge under load: starts `inflow start edge` with --cpu-prof, drives it with autocannon,
// stops it (the profile is written at exit) and prints self/inclusive time per function.
// Usage: flock /tmp/inflow-bench.lock flock /tmp/inflow-test.lock npx tsx bench/edge/edge.profile.ts [single|batch] [seconds]
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { createApiKey } from '../../src/accounts/api-keys.ts';
import { loadConfig, PROJECT_ROOT } from '../../src/config.ts';
import { createPostgres } from '../../src/infra/postgres.ts';

const [mode = 'single', seconds = '10'] = process.argv.slice(2);
const PORT = 3903;
const DIR = '/tmp/edgeprof';
const cfg = loadConfig(process.env);
const tenant = `prof-edge-${Date.now().toString(36)}`;
let seq = 0;
const event = () => ({
  type: 'lead.created',
  entity_id: `${tenant}-lead-${++seq}`,
  occurred_at: Date.now(),
  consent: true,
  data: { first_name: 'Ada', last_name: 'Lovelace', email: `ada${seq}@example.com`, phone: '+371123456789', utm_source: 'newsletter', utm_campaign: 'spring-2026', click_id: `c${seq}`, country: 'LV' },
});
const bodies =
  mode === 'batch' ? Array.from({ length: 200 }, () => JSON.stringify({ events: Array.from({ length: 100 }, event) })) : Array.from({ length: 5_000 }, () => JSON.stringify(event()));

const sql = createPostgres(cfg, { max: 1 });
const { key } = await createApiKey(sql, { tenantId: tenant, scopes: ['ingest'], name: 'profile' });
await sql.end();
mkdirSync(DIR, { recursive: true });
const started = Date.now();
const spawnedAt = performance.now();
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${DIR}`, 'bin/inflow.mjs', 'start', 'edge'], {
  cwd: PROJECT_ROOT,
  env: { ...process.env, HTTP_PORT: String(PORT), LOG_LEVEL: 'warn', EDGE_RATE_LIMIT_PER_S: '1000000', EDGE_RATE_LIMIT_BURST: '1000000' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
for (let i = 0; ; i++) {
  try {
    await fetch(`http://127.0.0.1:${PORT}/health`);
    break;
  } catch {
    if (i > 120) throw new Error('edge did not start');
    await new Promise((r) => setTimeout(r, 250)); // polling a server that is starting
  }
}
// CPU seconds of a process from /proc (utime + stime, clock ticks of 10 ms).
const cpuOf = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').slice(11, 13).reduce((a, b) => a + Number(b), 0) / 100;
const edgeCpu0 = cpuOf(child.pid!);
const selfCpu0 = process.cpuUsage();
const t0 = performance.now();
let i = 0;
const result = await autocannon({
  url: `http://127.0.0.1:${PORT}/v1/events`,
  method: 'POST',
  connections: Number(process.env.CONNECTIONS ?? 32),
  duration: Number(seconds),
  headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
  requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
});
const wall = (performance.now() - t0) / 1000;
const self = process.cpuUsage(selfCpu0);
console.log(`${mode}: ${result.requests.average} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}`);
console.log(`cpu: edge ${(((cpuOf(child.pid!) - edgeCpu0) / wall) * 100).toFixed(0)}% of a core, autocannon ${(((self.user + self.system) / 1e6 / wall) * 100).toFixed(0)}%, load average ${loadavg()[0]!.toFixed(2)}`);
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
const newest = readdirSync(DIR) // the main thread's profile (.0.); tsx's loader thread writes another
  .filter((f) => f.endsWith(".cpuprofile") && f.includes(".0."))
  .map((f) => path.join(DIR, f))
  .filter((f) => statSync(f).mtimeMs >= started)
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
const from = (t0 - spawnedAt) / 1000 + 0.5;
console.log(`profile: ${newest}\nsummary of the load phase: npx tsx bench/edge/profile.summary.ts ${newest} 50 ${from.toFixed(1)} ${(from + wall - 1).toFixed(1)}`);
