// CPU and RSS of inflow's processes and of each service, from /proc (Linux). A process counts with its descendants
// (Postgres backends are children of the postmaster; a worker pool of child processes is counted with its parent).
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';

const CLK_TCK = 100; // USER_HZ on Linux, fixed at 100 for the /proc ABI
const PAGE_KB = 4; // x86-64 and arm64 page size for RSS from statm

interface ProcStat {
  pid: number;
  ppid: number;
  ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the ")" of the command name: state ppid ... utime(14) stime(15)
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { pid, ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]) };
  } catch {
    return undefined;
  }
}

/**
 * Memory in kB: PSS (each shared page divided among the processes sharing it) when the kernel offers it, so a process
 * tree such as Postgres's backends counts its shared buffers once; else RSS.
 */
function memoryKb(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    if (m) return Number(m[1]);
  } catch {
    /* no smaps_rollup (old kernel, or not ours to read): fall back to RSS */
  }
  try {
    return Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]) * PAGE_KB;
  } catch {
    return 0;
  }
}

function allPids(): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number);
}

/** The pid and its descendants. */
export function processTree(root: number, stats: ProcStat[] = allPids().map(readStat).filter((s): s is ProcStat => !!s)): number[] {
  const children = new Map<number, number[]>();
  for (const s of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), s.pid]);
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const p = stack.pop()!;
    out.push(p);
    stack.push(...(children.get(p) ?? []));
  }
  return out;
}

/** The pid listening on a local TCP port (the inflow process behind the bench target), via /proc/net/tcp inodes. */
export function pidListeningOn(port: number): number | undefined {
  const inodes = new Set<string>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || f[3] !== '0A') continue; // 0A = LISTEN
      if (Number.parseInt(f[1]!.split(':')[1]!, 16) === port) inodes.add(f[9]!);
    }
  }
  if (!inodes.size) return undefined;
  for (const pid of allPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m && inodes.has(m[1]!)) return pid;
      } catch {
        /* fd closed meanwhile */
      }
    }
  }
  return undefined;
}

export interface ProcessSample {
  t: number;
  name: string;
  cpuPct: number;
  rssMb: number;
}

export interface ProcSampler {
  sample(t: number): ProcessSample[];
}

/**
 * Samples named process trees; CPU% is per core (200% = both cores of this box) since the previous sample, summed per
 * pid so a child that exits in between (a Postgres backend) takes its ticks with it instead of making a negative dip.
 */
export function createProcSampler(targets: { name: string; pid: number }[]): ProcSampler {
  let lastTicks = new Map<number, number>();
  let lastAt: number | undefined;
  return {
    sample(t) {
      const stats = allPids().map(readStat).filter((s): s is ProcStat => !!s);
      const byPid = new Map(stats.map((s) => [s.pid, s]));
      const now = performance.now();
      const nextTicks = new Map<number, number>();
      const out: ProcessSample[] = [];
      for (const { name, pid } of targets) {
        if (!byPid.has(pid)) continue;
        const tree = processTree(pid, stats);
        let delta = 0;
        let mem = 0;
        for (const p of tree) {
          const ticks = byPid.get(p)?.ticks ?? 0;
          nextTicks.set(p, ticks);
          delta += ticks - (lastTicks.get(p) ?? (lastAt === undefined ? ticks : 0)); // a new child: all its ticks are new
          mem += memoryKb(p);
        }
        const cpuPct = lastAt === undefined ? 0 : (Math.max(0, delta) / CLK_TCK / ((now - lastAt) / 1000)) * 100;
        out.push({ t, name, cpuPct: Math.round(cpuPct * 10) / 10, rssMb: Math.round(mem / 1024) });
      }
      lastTicks = nextTicks;
      lastAt = now;
      return out;
    },
  };
}
