// CPU accounting for the pipeline benchmarks, from /proc (Linux): what each part of the box spent on a phase.
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuSeconds {
  /** the process tree rooted at the given pid (the worker) */
  tree: number;
  /** every `postgres` process: backends, WAL writer, checkpointer */
  postgres: number;
  /** every `java` process: Kafka and the schema registry */
  java: number;
  /** the whole box, every core */
  box: number;
}

/** CPU seconds (user + system) so far of a process tree, of every `postgres` and `java` process, and of the whole box. */
export function cpuSeconds(root: number): CpuSeconds {
  const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((pid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // f[1] = ppid, f[11] utime, f[12] stime (ticks)
      return [{ pid: Number(pid), ppid: Number(f[1]), comm, cpu: (Number(f[11]) + Number(f[12])) / 100 }];
    } catch {
      return []; // exited meanwhile
    }
  });
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (!tree.has(p.pid) && tree.has(p.ppid)) (tree.add(p.pid), (grew = true));
  }
  const sum = (ps: typeof procs) => ps.reduce((a, p) => a + p.cpu, 0);
  const [, ...ticks] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).map(Number); // user nice system idle iowait ...
  const box = (ticks.slice(0, 8).reduce((a, b) => a + b, 0) - ticks[3]! - ticks[4]!) / 100;
  return { tree: sum(procs.filter((p) => tree.has(p.pid))), postgres: sum(procs.filter((p) => p.comm === 'postgres')), java: sum(procs.filter((p) => p.comm === 'java')), box };
}

/** Microseconds of CPU per event spent by each part between two readings. */
export function cpuPerEvent(before: CpuSeconds, after: CpuSeconds, events: number) {
  const us = (k: keyof CpuSeconds) => Math.round(((after[k] - before[k]) * 1e6) / events);
  return { worker_us: us('tree'), postgres_us: us('postgres'), kafka_us: us('java'), box_us: us('box') };
}
