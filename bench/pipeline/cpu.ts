// CPU accounting for the pipeline benchmarks, from /proc (Linux): what each part of the box spent on a phase.
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSeconds {
  /** the process tree rooted at the given pid (the worker) */
  tree: number;
  /** every `postgres` process: backends, WAL writer, checkpointer */
  postgres: number;
  /** every `java` process: Kafka and the schema registry */
  java: number;
  /** `redis-server` and its forks (AOF rewrites) */
  redis: number;
  /** the whole box, every core */
  box: number;
}

/** One reading: CPU seconds (user + system) so far per process, and of the whole box. */
export interface CpuSnapshot {
  root: number;
  procs: Map<number, { ppid: number; comm: string; cpu: number }>;
  box: number;
}

export function cpuSnapshot(root: number): CpuSnapshot {
  const procs = new Map<number, { ppid: number; comm: string; cpu: number }>();
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[1] = ppid, f[11] utime, f[12] stime (ticks)
      procs.set(Number(pid), { ppid: Number(f[1]), comm, cpu: (Number(f[11]) + Number(f[12])) / 100 });
    } catch {
      // exited meanwhile
    }
  }
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number); // user nice system idle iowait ...
  const box = (ticks.slice(0, 8).reduce((a, b) => a + b, 0) - ticks[3]! - ticks[4]!) / 100;
  return { root, procs, box };
}

/** The snapshot's root and every process descended from it. */
export function processTree(snapshot: CpuSnapshot): Set<number> {
  const tree = new Set([snapshot.root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, p] of snapshot.procs) if (!tree.has(pid) && tree.has(p.ppid)) (tree.add(pid), (grew = true));
  }
  return tree;
}

/**
 * CPU seconds spent between two readings by the root's process tree, by Postgres, by Kafka and the registry, and by
 * the box. Per process, so a process that exited in between (a closed connection's backend) takes nothing away; what
 * it spent after the first reading is lost (small: the benches keep their connections).
 */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuSeconds {
  const tree = processTree(after);
  const out: CpuSeconds = { tree: 0, postgres: 0, java: 0, redis: 0, box: after.box - before.box };
  for (const [pid, p] of after.procs) {
    const spent = p.cpu - (before.procs.get(pid)?.comm === p.comm ? before.procs.get(pid)!.cpu : 0);
    if (tree.has(pid)) out.tree += spent;
    if (p.comm === 'postgres') out.postgres += spent;
    if (p.comm === 'java') out.java += spent;
    if (p.comm.startsWith('redis')) out.redis += spent; // redis-server, and redis-aof-rewrite / redis-rdb-bgsave forks
  }
  return out;
}

/** Microseconds of CPU per event spent by each part between two readings. */
export function cpuPerEvent(before: CpuSnapshot, after: CpuSnapshot, events: number) {
  const d = cpuBetween(before, after);
  const us = (k: keyof CpuSeconds) => Math.round((d[k] * 1e6) / events);
  return { worker_us: us('tree'), postgres_us: us('postgres'), kafka_us: us('java'), redis_us: us('redis'), box_us: us('box') };
}

/**
 * What a phase's CPU per event allows on this box: how many cores it kept busy on average, and the rate it would reach
 * if every core of the box did nothing but this phase at the same CPU per event. No run reaches that ceiling (the box
 * idles between wake-ups, and a second busy thread raises the CPU per event), so a goal above it cannot be met by
 * scheduling, only by spending less CPU per event.
 */
export function boxUse(eventsPerS: number, cpu: readonly { box_us: number }[], cores: number) {
  if (cpu.length === 0 || cores <= 0) throw new Error('boxUse: needs at least one CPU reading and one core');
  const boxUs = cpu.reduce((a, c) => a + c.box_us, 0) / cpu.length;
  return {
    box_us: Number(boxUs.toFixed(1)),
    cores_busy: Number(((eventsPerS * boxUs) / 1e6).toFixed(2)),
    ceiling_events_per_s: Math.round((cores * 1e6) / boxUs),
  };
}
