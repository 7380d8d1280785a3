// Outcomes as ClickHouse holds them, through inflow's own analytics API (GET /v1/analytics/outcomes, tenant-scoped):
// in embedded mode the chDB engine belongs to the inflow process, so its HTTP API is the way in for any other process.

export interface ClickHouseCounter {
  /** event outcomes of the bench tenants in ClickHouse now, or null when the analytics API does not answer */
  count(): Promise<number | null>;
}

export function createClickHouseCounter(options: { url: string; keys: string[]; fromMs: number }): ClickHouseCounter {
  let unavailable = false;
  return {
    async count() {
      if (unavailable) return null;
      const from = String(options.fromMs - 120_000); // the per-minute view buckets by minute: start a minute early
      const to = String(Date.now() + 120_000);
      let total = 0;
      for (const key of options.keys) {
        const res = await fetch(`${options.url}/v1/analytics/outcomes?group_by=kind&from=${from}&to=${to}`, { headers: { authorization: `Bearer ${key}` } }).catch(() => undefined);
        if (!res?.ok) {
          if (res && (res.status === 404 || res.status === 401 || res.status === 403)) unavailable = true; // no api role here
          return null;
        }
        const body = (await res.json()) as { data?: { kind?: string; count?: number }[] };
        total += (body.data ?? []).filter((d) => d.kind === 'event').reduce((a, d) => a + (d.count ?? 0), 0); // bulk items are not events
      }
      return total;
    },
  };
}
