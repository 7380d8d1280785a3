// Synthetic CRM events for the bench, pure and seedable: tenants, entity cardinality, a share of resends and of invalid events.
// Each entity's occurred_at strictly increases, so no generated event is `stale` by construction.
import { v7 as uuidv7 } from 'uuid';

export interface GeneratedEvent {
  tenant: number;
  eventId: string;
  /** false: deliberately schema-invalid (the edge must reject it, nothing may be applied) */
  valid: boolean;
  /** true: a resend of an earlier event (same id and body) */
  resend: boolean;
  body: Record<string, unknown>;
}

export interface GeneratorOptions {
  tenants: number;
  /** distinct entities per tenant; events beyond it update existing ones */
  cardinality: number;
  duplicateShare?: number;
  invalidShare?: number;
  seed?: number;
  now?: () => number;
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Radia', 'Ken', 'Frances', 'Linus'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Perlman', 'Thompson', 'Allen', 'Torvalds'];
const UTM = ['google', 'newsletter', 'linkedin', 'partner', 'direct'];
const STAGES = ['qualification', 'proposal', 'negotiation'];

/** A small deterministic PRNG (mulberry32) so runs with one seed send the same shapes. */
export function createRandom(seed = 42): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface EventGenerator {
  /** the next event of a tenant (a batch carries one tenant's events: one API key); random tenant when omitted */
  next(tenant?: number): GeneratedEvent;
  pickTenant(): number;
  /** distinct entities touched per tenant so far */
  entitiesTouched(): number;
}

export function createEventGenerator(options: GeneratorOptions): EventGenerator {
  const rnd = createRandom(options.seed);
  const now = options.now ?? Date.now;
  const dupShare = options.duplicateShare ?? 0;
  const invalidShare = options.invalidShare ?? 0;
  const lastOccurred = new Map<string, number>();
  const recent = new Map<number, GeneratedEvent[]>(); // resend candidates per tenant
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;

  const pickTenant = () => Math.floor(rnd() * options.tenants);

  function fresh(tenant: number): GeneratedEvent {
    const n = Math.floor(rnd() * options.cardinality);
    const roll = rnd();
    const kind = roll < 0.7 ? 'lead' : roll < 0.9 ? 'contact' : 'opportunity';
    const entityId = `${kind[0]}-${n}`;
    const key = `${tenant}:${entityId}`;
    const seen = lastOccurred.get(key);
    const occurred = Math.max(now(), (seen ?? 0) + 1);
    lastOccurred.set(key, occurred);
    const first = pick(FIRST);
    const last = pick(LAST);
    const email = `${first}.${last}.${n}@example.com`.toLowerCase();
    let type: string;
    let data: Record<string, unknown>;
    if (kind === 'lead') {
      type = seen === undefined ? 'lead.created' : 'lead.updated';
      data = { first_name: first, last_name: last, email, phone: '+4915112345678', company: `${last} GmbH`, country: 'DE',
        utm_source: pick(UTM), utm_medium: 'cpc', utm_campaign: 'bench', offer: 'trial', user_agent: 'Mozilla/5.0 (X11; Linux x86_64) bench' };
    } else if (kind === 'contact') {
      type = seen === undefined ? 'contact.created' : 'contact.updated';
      data = { first_name: first, last_name: last, email, phone: '+4915112345678', company: `${last} GmbH`, title: 'CTO', country: 'DE' };
    } else {
      type = seen === undefined ? 'opportunity.created' : 'opportunity.updated';
      data = { name: `${last} deal`, stage: pick(STAGES), amount: Math.round(rnd() * 100_000) / 100, currency: 'EUR' };
    }
    const valid = rnd() >= invalidShare;
    const eventId = uuidv7();
    const body: Record<string, unknown> = { event_id: eventId, type, entity_id: entityId, occurred_at: occurred, consent: true, data };
    if (!valid) body.type = 'lead.exploded'; // not one of the ten event types: a 422 / a rejected index
    return { tenant, eventId, valid, resend: false, body };
  }

  return {
    pickTenant,
    next(tenant = pickTenant()) {
      let pool = recent.get(tenant);
      if (dupShare > 0 && pool && pool.length > 0 && rnd() < dupShare) {
        const original = pool[Math.floor(rnd() * pool.length)]!;
        return { ...original, resend: true };
      }
      const ev = fresh(tenant);
      if (dupShare > 0 && ev.valid) {
        if (!pool) recent.set(tenant, (pool = []));
        if (pool.length < 1000) pool.push(ev);
        else pool[Math.floor(rnd() * pool.length)] = ev;
      }
      return ev;
    },
    entitiesTouched: () => lastOccurred.size / options.tenants,
  };
}
