// `inflow simulate webhooks`: seed 002's webhook simulator. Signs AcmeCRM (or Standard Webhooks) deliveries of
// contact.created/updated/deleted, sends them at a steady rate, shows a progress bar and prints a summary by status.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import cliProgress from 'cli-progress';
import { signAcme, signStandard } from './webhook.signature.ts';

export interface SimulateOptions {
  target: string;
  rate: number;
  count: number;
  secret: string;
  scheme: 'acme' | 'standard';
  /** Share of deliveries re-sent with the same id (the edge must acknowledge them without a second event). */
  replayRatio: number;
  progress: boolean;
}

export interface SimulateSummary {
  sent: number;
  byStatus: Record<string, number>;
  duplicates: number;
  seconds: number;
  p50Ms: number;
  p99Ms: number;
}

const FIRST = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Linus', 'Margaret', 'Ken'];
const LAST = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Torvalds', 'Hamilton', 'Thompson'];
const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;

function delivery(contacts: string[]): { id: string; body: string } {
  const event = contacts.length === 0 || Math.random() < 0.5 ? 'contact.created' : Math.random() < 0.8 ? 'contact.updated' : 'contact.deleted';
  const contactId = event === 'contact.created' ? randomUUID() : pick(contacts);
  if (event === 'contact.created') contacts.push(contactId);
  const first = pick(FIRST);
  const last = pick(LAST);
  const data = event === 'contact.deleted' ? { id: contactId } : { id: contactId, firstName: first, lastName: last, email: `${first}.${last}.${contactId.slice(0, 6)}@example.com`.toLowerCase() };
  const id = `dlv_${randomUUID()}`;
  return { id, body: JSON.stringify({ id, event, timestamp: new Date().toISOString(), data }) };
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;
}

export async function simulateWebhooks(o: SimulateOptions): Promise<SimulateSummary> {
  const byStatus: Record<string, number> = {};
  const latencies: number[] = [];
  const contacts: string[] = [];
  const sentDeliveries: { id: string; body: string }[] = [];
  let duplicates = 0;
  const bar = o.progress ? new cliProgress.SingleBar({ format: 'webhooks |{bar}| {value}/{total} {status}', hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
  bar?.start(o.count, 0, { status: '' });
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();

  async function send(d: { id: string; body: string }) {
    const ts = String(Math.floor(Date.now() / 1000));
    const headers: Record<string, string> =
      o.scheme === 'acme'
        ? { 'x-acme-timestamp': ts, 'x-acme-signature': signAcme(o.secret, ts, d.body) }
        : { 'webhook-id': d.id, 'webhook-timestamp': ts, 'webhook-signature': signStandard(o.secret, d.id, ts, d.body) };
    const t0 = performance.now();
    let status = '';
    // A real sender retries 409 (same delivery in flight), 429 and 503 after Retry-After; so does the simulator.
    for (let attempt = 1; attempt <= 4; attempt++) {
      try {
        const res = await fetch(o.target, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: d.body, signal: AbortSignal.timeout(30_000) });
        status = String(res.status);
        const reply = (await res.json().catch(() => ({}))) as { duplicate?: boolean };
        if (reply.duplicate) duplicates++;
        if (![409, 429, 503].includes(res.status) || attempt === 4) break;
        await sleep(Math.min(2_000, 1_000 * Number(res.headers.get('retry-after') ?? '1')));
      } catch (err) {
        status = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
        break;
      }
    }
    latencies.push(performance.now() - t0);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    bar?.increment(1, { status: Object.entries(byStatus).map(([s, n]) => `${s}:${n}`).join(' ') });
  }

  for (let i = 0; i < o.count; i++) {
    const due = started + (i * 1000) / o.rate;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait); // pacing to --rate, not a test wait
    const replay = sentDeliveries.length > 0 && Math.random() < o.replayRatio;
    const d = replay ? pick(sentDeliveries) : delivery(contacts);
    if (!replay) sentDeliveries.push(d);
    const p = send(d).finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  bar?.stop();
  latencies.sort((a, b) => a - b);
  return { sent: o.count, byStatus, duplicates, seconds: (performance.now() - started) / 1000, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}
