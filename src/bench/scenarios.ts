// The scenarios: what each request looks like. Pure: a scenario turns generated events into BenchRequests.
import { createHmac, randomUUID } from 'node:crypto';
import type { EventGenerator } from './events.gen.ts';
import type { BenchRequest } from './load.driver.ts';

export const SCENARIOS = ['ingest-single', 'ingest-batch', 'mixed', 'bulk', 'soak'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioDefaults {
  description: string;
  /** events per /v1/events request */
  batch: number;
  duplicateShare: number;
  invalidShare: number;
  /** fixed rate in events/s when the user gives none; undefined = closed-loop max */
  rate?: number;
  durationMs: number;
}

export const SCENARIO_DEFAULTS: Record<ScenarioName, ScenarioDefaults> = {
  'ingest-single': { description: 'one event per POST /v1/events', batch: 1, duplicateShare: 0, invalidShare: 0, durationMs: 60_000 },
  'ingest-batch': { description: '100 events per POST /v1/events', batch: 100, duplicateShare: 0, invalidShare: 0, durationMs: 60_000 },
  mixed: {
    description: 'batches of 10 events (5% resends, 2% invalid) + POST /api/lead + signed AcmeCRM webhooks',
    batch: 10, duplicateShare: 0.05, invalidShare: 0.02, durationMs: 60_000,
  },
  bulk: { description: 'a bulk action over N contacts while 100-event batches are ingested', batch: 100, duplicateShare: 0, invalidShare: 0, rate: 5_000, durationMs: 60_000 },
  soak: { description: 'a fixed rate held for a long time: watch RSS, lag and latency drift', batch: 100, duplicateShare: 0, invalidShare: 0, rate: 5_000, durationMs: 600_000 },
};

export interface RequestFactoryOptions {
  scenario: ScenarioName;
  batch: number;
  generator: EventGenerator;
  /** API keys per tenant index */
  keys: string[][];
  /** AcmeCRM signing secret for the mixed scenario's webhooks (from ACME_WEBHOOK_SECRET) */
  acmeSecret?: string;
  random?: () => number;
  now?: () => number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

export function createRequestFactory(o: RequestFactoryOptions): () => BenchRequest {
  const rnd = o.random ?? Math.random;
  const now = o.now ?? Date.now;
  const keyCursor = o.keys.map(() => 0);
  const keyOf = (tenant: number) => {
    const ks = o.keys[tenant]!;
    keyCursor[tenant] = (keyCursor[tenant]! + 1) % ks.length;
    return ks[keyCursor[tenant]!]!;
  };

  const events = (): BenchRequest => {
    const tenant = o.generator.pickTenant();
    const evs = Array.from({ length: o.batch }, () => o.generator.next(tenant));
    const body = o.batch === 1 ? evs[0]!.body : { events: evs.map((e) => e.body) };
    return {
      kind: o.batch === 1 ? 'event' : 'batch',
      method: 'POST',
      path: '/v1/events',
      headers: { ...JSON_HEADERS, authorization: `Bearer ${keyOf(tenant)}` },
      body: Buffer.from(JSON.stringify(body)),
      events: evs.length,
      tenant,
      eventIds: evs.map((e) => e.eventId),
    };
  };

  const lead = (): BenchRequest => {
    const tenant = o.generator.pickTenant();
    const n = Math.floor(rnd() * 1e9);
    const body = { firstName: 'Bench', lastName: `Lead${n}`, email: `bench.${n}@example.com`, phone: '+4915112345678',
      country: 'DE', lang: 'de', offer: 'trial', click_id: `clk-${n}`, domain: 'bench.example.com', sourcetype: 'bench' };
    return {
      kind: 'lead', method: 'POST', path: '/api/lead',
      headers: { ...JSON_HEADERS, authorization: `Bearer ${keyOf(tenant)}`, 'idempotency-key': randomUUID(), 'x-request-id': randomUUID() },
      body: Buffer.from(JSON.stringify(body)), events: 1, tenant, eventIds: [],
    };
  };

  const webhook = (): BenchRequest => {
    const n = Math.floor(rnd() * 1e9);
    const raw = JSON.stringify({ id: `wh_${randomUUID()}`, event: 'contact.created', timestamp: now(),
      data: { id: `acme-${n}`, email: `acme.${n}@example.com`, first_name: 'Acme', last_name: `Contact${n}` } });
    const ts = String(Math.floor(now() / 1000));
    const signature = createHmac('sha256', o.acmeSecret ?? '').update(`${ts}.${raw}`).digest('hex');
    return {
      kind: 'webhook', method: 'POST', path: '/api/webhooks',
      headers: { ...JSON_HEADERS, 'x-acme-signature': signature, 'x-acme-timestamp': ts },
      body: Buffer.from(raw), events: 1, tenant: -1, eventIds: [],
    };
  };

  if (o.scenario !== 'mixed') return events;
  // mixed: 80% event batches, 10% lead capture, 10% webhooks (only when a signing secret is configured)
  return () => {
    const r = rnd();
    if (r < 0.8) return events();
    if (r < 0.9 || !o.acmeSecret) return lead();
    return webhook();
  };
}

/** Event ids a 2xx /v1/events answer accepted (new and duplicates), from its body; [] when unparseable. */
export function acceptedIds(req: BenchRequest, status: number, body: string): { accepted: string[]; duplicates: number; rejected: number } {
  if (req.path !== '/v1/events') return { accepted: [], duplicates: 0, rejected: 0 };
  if (status === 422) return { accepted: [], duplicates: 0, rejected: req.events };
  if (status < 200 || status >= 300) return { accepted: [], duplicates: 0, rejected: 0 };
  try {
    const parsed = JSON.parse(body) as { event_ids?: string[]; duplicates?: string[]; rejected?: unknown[] };
    return { accepted: parsed.event_ids ?? [], duplicates: parsed.duplicates?.length ?? 0, rejected: parsed.rejected?.length ?? 0 };
  } catch {
    return { accepted: [], duplicates: 0, rejected: 0 };
  }
}
