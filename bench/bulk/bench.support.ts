// Helpers of the bulk bench: child inflow processes, CPU sampling per process tree and for the whole machine,
// one bulk action driven over HTTP with its stats endpoint timed, and the ingest load child.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { PROJECT_ROOT } from '../../src/config.ts';

export const children: ChildProcess[] = [];
// never leave a child behind (it would hold the caller's flock and the consumer groups)
process.on('exit', () => children.forEach((c) => c.kill('SIGKILL')));

export function spawnInflow(roles: string[], env: Record<string, string>, nodeArgs: string[] = []): ChildProcess {
  const child = spawn(process.execPath, [...nodeArgs, path.join(PROJECT_ROOT, 'bin', 'inflow.mjs'), 'start', ...roles], {
    env: { ...process.env, LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  children.push(child);
  return child;
}

export const randomPort = (base: number) => base + Math.floor(Math.random() * 5_000);
export const load1 = () => +loadavg()[0]!.toFixed(2);

/** Whole-machine CPU busy share (0..1 over all cores) between two calls. */
export function machineCpu(): () => number {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3]! + f[4]!;
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  return () => {
    const b = read();
    return +(1 - (b.idle - a.idle) / (b.total - a.total)).toFixed(3);
  };
}

/** CPU ticks (1/100 s) of each process: pid -> [ppid, ticks]. /proc/<pid>/stat only: a few ms for all processes. */
function ticksByPid(): Map<number, [number, number]> {
  const out = new Map<number, [number, number]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const s = readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      out.set(Number(d), [Number(f[1]), Number(f[11]) + Number(f[12])]);
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/**
 * Mean CPU% (100 = one core) per named process tree over a window: ticks at the start and the end only, so the
 * bench process (which serves the stats API being timed) does no sampling work meanwhile. (src/bench's sampler also
 * reads smaps_rollup for memory: ~100 ms per sample here, which stalled the stats API by seconds under load.)
 * Children that exit inside the window take their ticks with them.
 */
export const BENCH = 'bench (stats API)';
export function cpuWindow(targets: { name: string; pid: number; child?: boolean }[]) {
  const treeTicks = (all: Map<number, [number, number]>, root: number) => {
    const kids = new Map<number, number[]>();
    for (const [pid, [ppid]] of all) kids.set(ppid, [...(kids.get(ppid) ?? []), pid]);
    const ticks = new Map<number, number>();
    for (const stack = [root]; stack.length; ) {
      const p = stack.pop()!;
      ticks.set(p, all.get(p)?.[1] ?? 0);
      stack.push(...(kids.get(p) ?? []));
    }
    return ticks;
  };
  const t0 = performance.now();
  const first = ticksByPid();
  const start = new Map(targets.map((x) => [x.name, treeTicks(first, x.pid)]));
  const machine = machineCpu();
  return () => {
    const end = ticksByPid();
    const secs = (performance.now() - t0) / 1000;
    const mean: Record<string, number> = {};
    for (const x of targets) {
      const before = start.get(x.name)!;
      let used = 0;
      for (const [pid, t] of treeTicks(end, x.pid)) used += t - (before.get(pid) ?? 0);
      mean[x.name] = Math.round(used / secs); // ticks are 1/100 s: ticks per second = % of one core
    }
    // a tree counts its descendants: the bench's own share is its tree minus its children's trees
    if (mean[BENCH] !== undefined) mean[BENCH] -= targets.filter((x) => x.child).reduce((a, x) => a + (mean[x.name] ?? 0), 0);
    return { machine_busy: machine(), mean_cpu_pct: mean };
  };
}

export interface IngestProgress {
  /** latest running totals from the load child */
  last: { t: number; accepted: number; rejected: number; errors: number };
  done: Promise<{ accepted: number; errors: number; requests: number }>;
  pid: number;
  stop(): void;
}

/** Starts the ingest load child (bench/bulk/ingest.load.ts); seconds = 0 runs until stop(). */
export function startIngest(url: string, key: string, seconds: number, rate: number): IngestProgress {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'bench', 'bulk', 'ingest.load.ts'), '--url', url, '--keys', key, '--seconds', String(seconds), '--rate', String(rate)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const progress: IngestProgress = {
    last: { t: 0, accepted: 0, rejected: 0, errors: 0 },
    done: new Promise((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const msg = JSON.parse(line) as IngestProgress['last'] & { done?: { accepted: number; errors: number; requests: number } };
        if (msg.done) resolve(msg.done);
        else progress.last = msg;
      });
      child.once('exit', (code) => reject(new Error(`ingest load exited (${code}) without a summary`)));
    }),
    pid: child.pid!,
    stop: () => void child.kill('SIGTERM'),
  };
  return progress;
}

const FINAL = ['completed', 'completed_with_errors', 'failed', 'cancelled'];

/** Creates a bulk action over HTTP and polls its stats every 200 ms until it finishes; stats latencies kept. */
export async function runBulk(apiUrl: string, key: string, body: unknown) {
  const t0 = performance.now();
  const res = await fetch(`${apiUrl}/v1/bulk-actions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`create bulk action: ${res.status} ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  const latencies: number[] = [];
  let final: Record<string, unknown> = {};
  for (;;) {
    const s0 = performance.now();
    const r = await fetch(`${apiUrl}/v1/bulk-actions/${id}/stats`, { headers: { authorization: `Bearer ${key}` } });
    final = (await r.json()) as Record<string, unknown>;
    latencies.push(performance.now() - s0);
    if (FINAL.includes(String(final.status))) break;
    await new Promise((r2) => setTimeout(r2, 200));
  }
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => +latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!.toFixed(1);
  return { id, ms: performance.now() - t0, final, stats: { requests: latencies.length, p50_ms: pct(0.5), p99_ms: pct(0.99), max_ms: pct(1) } };
}
