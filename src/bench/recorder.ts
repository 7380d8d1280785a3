// What the client saw, per second and in total: requests, accepted events, statuses, latency. Pure.
import type { BenchResponse } from './load.driver.ts';
import { acceptedIds } from './scenarios.ts';
import { createHistogram, type Histogram } from './stats.ts';

export interface Window {
  /** seconds since the start of the run (end of the window) */
  second: number;
  requests: number;
  events: number;
  accepted: number;
  errors: number;
  latency: Histogram;
}

export interface Recorder {
  record(r: BenchResponse, atMs: number): void;
  readonly latency: Histogram;
  readonly windows: Map<number, Window>;
  readonly statuses: Record<string, number>;
  readonly byKind: Record<string, { requests: number; latency: Histogram }>;
  /** every distinct accepted event id, with the number of 2xx answers that acknowledged it */
  readonly acceptedIds: Map<string, number>;
  totals(): { requests: number; eventsSent: number; accepted: number; acceptedDistinct: number; duplicates: number; rejected: number; errors: number };
}

const isError = (status: number) => status === 0 || status >= 400;

export function createRecorder(options: { trackIds?: boolean } = {}): Recorder {
  const trackIds = options.trackIds ?? true;
  const latency = createHistogram();
  const windows = new Map<number, Window>();
  const statuses: Record<string, number> = {};
  const byKind: Record<string, { requests: number; latency: Histogram }> = {};
  const ids = new Map<string, number>();
  const t = { requests: 0, eventsSent: 0, accepted: 0, duplicates: 0, rejected: 0, errors: 0 };
  return {
    latency,
    windows,
    statuses,
    byKind,
    acceptedIds: ids,
    record(r, atMs) {
      const second = Math.floor(atMs / 1000) + 1;
      let w = windows.get(second);
      if (!w) windows.set(second, (w = { second, requests: 0, events: 0, accepted: 0, errors: 0, latency: createHistogram() }));
      const key = r.status === 0 ? (r.error ?? 'transport') : String(r.status);
      statuses[key] = (statuses[key] ?? 0) + 1;
      const k = (byKind[r.request.kind] ??= { requests: 0, latency: createHistogram() });
      k.requests++;
      k.latency.record(r.latencyMs);
      latency.record(r.latencyMs);
      w.latency.record(r.latencyMs);
      w.requests++;
      w.events += r.request.events;
      t.requests++;
      t.eventsSent += r.request.events;
      if (isError(r.status)) {
        w.errors++;
        t.errors++;
      }
      const a = acceptedIds(r.request, r.status, r.body);
      // lead capture and webhooks: one event each, accepted on 2xx (their ids are assigned by the edge)
      const n = r.request.path === '/v1/events' ? a.accepted.length : r.status >= 200 && r.status < 300 ? 1 : 0;
      w.accepted += n;
      t.accepted += n;
      t.duplicates += a.duplicates;
      t.rejected += a.rejected;
      if (trackIds) for (const id of a.accepted) ids.set(id, (ids.get(id) ?? 0) + 1);
    },
    totals: () => ({ ...t, acceptedDistinct: ids.size }),
  };
}
