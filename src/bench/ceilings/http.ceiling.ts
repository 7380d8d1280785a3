// HTTP ceiling: the same driver, the same request shapes, against a bare Hono route in a separate process.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runLoad, type BenchRequest } from '../load.driver.ts';
import { createHistogram, round } from '../stats.ts';
import type { CeilingResult } from './ceiling.types.ts';

export async function measureHttpCeiling(options: { next(): BenchRequest; connections: number; durationMs: number }): Promise<CeilingResult> {
  const file = fileURLToPath(new URL('./bare-route.server.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { port: number }).port));
      child.once('exit', (code) => reject(new Error(`bare route server exited (${code})`)));
    });
    const latency = createHistogram();
    let events = 0;
    let ok = 0;
    const r = await runLoad({
      url: `http://127.0.0.1:${port}`,
      connections: options.connections,
      durationMs: options.durationMs,
      next: options.next,
      onResponse: (res) => {
        latency.record(res.latencyMs);
        if (res.status === 202) {
          ok++;
          events += res.request.events;
        }
      },
    });
    const s = r.elapsedMs / 1000;
    return {
      name: 'http',
      what: 'bare Hono route (parse JSON, answer 202), same driver and request shapes',
      eventsPerS: round(events / s, 1),
      requestsPerS: round(ok / s, 1),
      latencyMs: latency.summary(),
    };
  } finally {
    child.kill('SIGTERM');
  }
}
