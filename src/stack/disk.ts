// Free space where the local stack keeps its data. Kafka keeps every topic for its retention (7 days for crm.events),
// so a few load benchmarks can fill a small disk; a full disk then fails in odd places (npm's tar, Postgres's WAL).
import { mkdirSync, statfsSync } from 'node:fs';

/** Below this, `inflow up` and `inflow status` warn: the stack, the tests and a benchmark need a few GB. */
export const LOW_DISK_BYTES = 5 * 1024 ** 3;

export interface DiskFree {
  dir: string;
  freeBytes: number;
  low: boolean;
}

export function diskFree(dir: string): DiskFree {
  mkdirSync(dir, { recursive: true });
  const s = statfsSync(dir);
  const freeBytes = s.bavail * s.bsize;
  return { dir, freeBytes, low: freeBytes < LOW_DISK_BYTES };
}

/** One line for humans: "disk: 12.3 GB free at /work/main/.inflow" (+ what to do when low); `dir` is INFLOW_HOME. */
export function describeDiskFree(d: DiskFree): string {
  const gb = (d.freeBytes / 1024 ** 3).toFixed(1);
  const line = `disk: ${gb} GB free at ${d.dir}`;
  return d.low
    ? `${line}: LOW (under ${LOW_DISK_BYTES / 1024 ** 3} GB). Bench runs delete their topics; old data goes with \`inflow down\` and deleting ${d.dir}/data/kafka and ${d.dir}/data/postgres`
    : line;
}
