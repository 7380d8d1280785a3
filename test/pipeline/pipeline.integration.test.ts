// The worker against the real stack: every accepted event checked in Postgres AND on the outcomes topic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTenant } from '../../src/accounts/api-keys.ts';
import type { CrmEvent, Outcome } from '../../src/pipeline/event.types.ts';
import { createDlqService } from '../../src/pipeline/dlq.service.ts';
import { decodeOutcomeRecord } from '../../src/pipeline/record.encoder.ts';
import type { Worker } from '../../src/pipeline/worker.ts';
import { parseSchema } from '../../src/schemas/avro.codec.ts';
import { readSchema, subjectFor } from '../../src/schemas/schema-files.ts';
import { unique } from '../support/helpers.ts';
import { crmEvent, distinctOutcomes, pipelineEnv, produceEvents, readChanges, readOutcomes, startWorker, waitFor, type PipelineEnv } from './pipeline.support.ts';

let env: PipelineEnv;
let worker: Worker;

beforeAll(async () => {
  env = await pipelineEnv('pipeline');
  worker = await startWorker(env);
});
afterAll(async () => {
  await worker?.stop();
  await env?.close();
});

const lead = (email: string, extra: Partial<NonNullable<CrmEvent['lead']>> = {}): CrmEvent['lead'] => ({
  first_name: ' Ada ', last_name: 'Lovelace', email, phone: '+371 2012 3456', company: null, message: null, submission_type: null,
  country: 'Latvia', lang: 'lv', ip: '81.198.0.1', user_agent: null, click_id: null, offer: null, creo: null, domain: null, marker: null,
  description: null, sourcetype: null, status: null, assigned_to: null, utm_source: 'newsletter', utm_medium: null, utm_campaign: null,
  utm_content: null, utm_term: null, contact_id: null, opportunity_id: null, ...extra,
});

const outcomesFor = (ids: string[]) => readOutcomes(env, (all) => ids.every((id) => all.some((o) => o.event_id === id)));

describe('the worker applies each event exactly once', () => {
  it('normalizes a lead, applies it, keeps its raw payload and reports applied with the entity version', async () => {
    const e = crmEvent(env, { type: 'lead.created', entity_id: unique('lead'), consent: true, lead: lead('  ADA@Example.com ') });
    await produceEvents(env, [e]);
    const [outcome] = (await outcomesFor([e.event_id])).filter((o) => o.event_id === e.event_id);
    expect(outcome).toMatchObject({ status: 'applied', entity_type: 'lead', entity_id: e.entity_id, entity_version: 1, tenant_id: env.tenant, utm_source: 'newsletter' });
    expect(outcome!.email_hash).toMatch(/^[0-9a-f]{64}$/);
    const [row] = await env.sql`select * from leads where tenant_id = ${env.tenant} and id = ${e.entity_id}`;
    expect(row).toMatchObject({ email: 'ada@example.com', first_name: 'Ada', phone: '+37120123456', country: 'LV', version: '1', last_event_id: e.event_id });
    const [raw] = await env.sql`select payload from leads_raw where tenant_id = ${env.tenant} and event_id = ${e.event_id}`;
    expect((raw!.payload as CrmEvent).lead!.email).toBe('  ADA@Example.com ');
    const changes = await readChanges(env, (all) => all.some((c) => c.cause_id === e.event_id));
    expect(changes.find((c) => c.cause_id === e.event_id)).toMatchObject({ entity_type: 'lead', entity_id: e.entity_id, version: 1, op: 'upsert' });
  });

  it('applies the same event sent three times (edge retry, client resend, redelivery) once', async () => {
    const e = crmEvent(env, { type: 'contact.created', entity_id: unique('contact'), contact: { first_name: 'Grace', last_name: 'Hopper', email: 'g@navy.mil', phone: null, company: null, title: null, country: 'US', owner_id: null, status: null, tags: ['vip'] } });
    await produceEvents(env, [e, e]); // edge retry: the same record twice in the log
    await produceEvents(env, [e]); // client resend later
    const all = await readOutcomes(env, (os) => os.filter((o) => o.event_id === e.event_id).length >= 3);
    // redelivery: a fresh worker in a new group reads the whole log again from the first offset
    await worker.stop();
    const again = await startWorker(env, { groupId: unique('g.redelivery') });
    try {
      const after = await readOutcomes(env, (os) => os.filter((o) => o.event_id === e.event_id).length >= 6);
      const mine = distinctOutcomes(after).get(e.event_id)!;
      expect(mine.map((o) => o.status).sort()).toEqual(['applied', 'duplicate', 'duplicate']);
      expect(all.filter((o) => o.event_id === e.event_id && o.status === 'applied')).toHaveLength(1);
      const [row] = await env.sql`select version, tags from contacts where tenant_id = ${env.tenant} and id = ${e.entity_id}`;
      expect(row).toEqual({ version: '1', tags: ['vip'] });
    } finally {
      await again.stop();
      worker = await startWorker(env);
    }
  });

  it('keeps the newer of two updates delivered out of order; the older is stale', async () => {
    const id = unique('opp');
    const t0 = Date.now() - 60_000;
    const created = crmEvent(env, { type: 'opportunity.created', entity_id: id, occurred_at: t0, opportunity: { name: 'Deal', stage: 'new', amount: 100, currency: 'eur', contact_id: null, lead_id: null, close_reason: null, expected_close_date: '2027-01-31' } });
    const newer = crmEvent(env, { type: 'opportunity.updated', entity_id: id, occurred_at: t0 + 2000, opportunity: { name: null, stage: 'proposal', amount: 300, currency: null, contact_id: null, lead_id: null, close_reason: null, expected_close_date: null } });
    const older = crmEvent(env, { type: 'opportunity.updated', entity_id: id, occurred_at: t0 + 1000, opportunity: { name: null, stage: 'qualified', amount: 200, currency: null, contact_id: null, lead_id: null, close_reason: null, expected_close_date: null } });
    const won = crmEvent(env, { type: 'opportunity.won', entity_id: id, occurred_at: t0 + 3000 });
    await produceEvents(env, [created, newer, older, won]);
    const os = distinctOutcomes(await outcomesFor([created, newer, older, won].map((e) => e.event_id)));
    expect([created, newer, older, won].map((e) => os.get(e.event_id)!.map((o) => o.status))).toEqual([['applied'], ['applied'], ['stale'], ['applied']]);
    const [row] = await env.sql`select stage, amount, currency, status, closed_at, version, last_event_id from opportunities where tenant_id = ${env.tenant} and id = ${id}`;
    expect(row).toMatchObject({ stage: 'proposal', amount: '300.00', currency: 'EUR', status: 'won', version: '3', last_event_id: won.event_id });
    expect((row!.closed_at as Date).getTime()).toBe(t0 + 3000);
  });

  it('links a converted lead to its contact and opportunity', async () => {
    const leadId = unique('lead');
    const contactId = unique('contact');
    const oppId = unique('opp');
    const t = Date.now();
    const events = [
      crmEvent(env, { type: 'lead.created', entity_id: leadId, occurred_at: t, lead: lead('c@x.io') }),
      crmEvent(env, { type: 'contact.created', entity_id: contactId, occurred_at: t, contact: { first_name: 'C', last_name: null, email: 'c@x.io', phone: null, company: null, title: null, country: null, owner_id: null, status: null, tags: null } }),
      crmEvent(env, { type: 'opportunity.created', entity_id: oppId, occurred_at: t, opportunity: { name: 'X', stage: 'new', amount: null, currency: null, contact_id: null, lead_id: null, close_reason: null, expected_close_date: null } }),
      crmEvent(env, { type: 'lead.converted', entity_id: leadId, occurred_at: t + 1, lead: lead('c@x.io', { contact_id: contactId, opportunity_id: oppId }) }),
    ];
    // the contact and the opportunity exist before the conversion (they live on other partitions)
    await produceEvents(env, events.slice(0, 3));
    await outcomesFor(events.slice(0, 3).map((e) => e.event_id));
    await produceEvents(env, events.slice(3));
    await outcomesFor(events.map((e) => e.event_id));
    const [l] = await env.sql`select status, contact_id, opportunity_id, converted_at from leads where tenant_id = ${env.tenant} and id = ${leadId}`;
    expect(l).toMatchObject({ status: 'converted', contact_id: contactId, opportunity_id: oppId });
    const [c] = await env.sql`select lead_id, version from contacts where tenant_id = ${env.tenant} and id = ${contactId}`;
    expect(c).toEqual({ lead_id: leadId, version: '2' });
    const [o] = await env.sql`select lead_id from opportunities where tenant_id = ${env.tenant} and id = ${oppId}`;
    expect(o).toEqual({ lead_id: leadId });
  });

  it('rejects an event without consent (no_consent) and keeps it in the DLQ', async () => {
    const e = crmEvent(env, { type: 'lead.created', entity_id: unique('lead'), consent: false, lead: lead('no@x.io') });
    await produceEvents(env, [e]);
    const [o] = (await outcomesFor([e.event_id])).filter((x) => x.event_id === e.event_id);
    expect(o).toMatchObject({ status: 'rejected', reason: 'no_consent' });
    expect(await env.sql`select 1 from leads where tenant_id = ${env.tenant} and id = ${e.entity_id}`).toHaveLength(0);
    const dlq = await createDlqService({ sql: env.sql }, { eventsTopic: env.topics.events }).list({ eventId: e.event_id });
    expect(dlq).toMatchObject([{ reason: 'no_consent', tenant_id: env.tenant, topic: env.topics.events }]);
  });

  it('processes a v1 and a v2 event together (v2 adds a field with a default)', async () => {
    const v1 = readSchema('crm-event') as { fields: object[] };
    const v2Schema = { ...v1, fields: [...v1.fields, { name: 'channel', type: ['null', 'string'], default: null }] };
    const v2Id = await env.registry.register(subjectFor(env.topics.events), v2Schema);
    expect(v2Id).not.toBe(env.eventSchemaId);
    const a = crmEvent(env, { type: 'lead.created', entity_id: unique('lead'), lead: lead('v1@x.io') });
    const b = { ...crmEvent(env, { type: 'lead.created', entity_id: unique('lead'), lead: lead('v2@x.io') }), channel: 'chat' };
    await produceEvents(env, [a]);
    await produceEvents(env, [b], { id: v2Id, type: parseSchema(v2Schema) });
    const os = distinctOutcomes(await outcomesFor([a.event_id, b.event_id]));
    expect([os.get(a.event_id)![0]!.status, os.get(b.event_id)![0]!.status]).toEqual(['applied', 'applied']);
    const rows = await env.sql`select email from leads where tenant_id = ${env.tenant} and id in (${a.entity_id}, ${b.entity_id}) order by email`;
    expect(rows.map((r) => r.email)).toEqual(['v1@x.io', 'v2@x.io']);
  });

  it('isolates a poison event to the DLQ (failed), continues with the rest, and applies it when replayed after the fix', async () => {
    const missingTenant = unique('tenant-not-yet'); // a tenant not provisioned yet: a foreign-key failure for this event only
    const poison = crmEvent({ tenant: missingTenant }, { type: 'lead.created', entity_id: unique('lead'), lead: lead('p@x.io') });
    const good = [1, 2, 3].map(() => crmEvent(env, { type: 'lead.created', entity_id: unique('lead'), lead: lead('ok@x.io') }));
    await produceEvents(env, [good[0]!, poison, good[1]!, good[2]!]);
    const os = distinctOutcomes(await outcomesFor([poison.event_id, ...good.map((g) => g.event_id)]));
    expect(os.get(poison.event_id)!.map((o) => [o.status, o.reason])).toEqual([['failed', 'apply_failed:23503']]);
    expect(good.map((g) => os.get(g.event_id)![0]!.status)).toEqual(['applied', 'applied', 'applied']);
    const dlq = createDlqService({ sql: env.sql, producer: env.producer }, { eventsTopic: env.topics.events });
    await waitFor(async () => (await dlq.list({ eventId: poison.event_id })).length === 1);

    await ensureTenant(env.sql, missingTenant); // the fix
    expect(await dlq.replay({ eventId: poison.event_id })).toMatchObject({ replayed: 1 });
    expect(await dlq.replay({ eventId: poison.event_id })).toMatchObject({ replayed: 0 }); // already replayed
    await dlq.replay({ eventId: poison.event_id, includeReplayed: true }); // replaying twice is harmless
    const after = await readOutcomes(env, (all) => all.filter((o: Outcome) => o.event_id === poison.event_id).map((o) => o.status).join() === 'failed,applied,duplicate');
    expect(after.filter((o) => o.event_id === poison.event_id).map((o) => o.status)).toEqual(['failed', 'applied', 'duplicate']);
    const rows = await env.sql`select version from leads where tenant_id = ${missingTenant} and id = ${poison.entity_id}`;
    expect(rows).toEqual([{ version: '1' }]);
  });

  it('records every finished event in processed_events with its outcome', async () => {
    const e = crmEvent(env, { type: 'contact.deleted', entity_id: unique('contact') });
    await produceEvents(env, [e]);
    const [o] = (await outcomesFor([e.event_id])).filter((x) => x.event_id === e.event_id);
    const [row] = await env.sql`select status, outcome_record from processed_events where tenant_id = ${env.tenant} and event_id = ${e.event_id}`;
    expect(row!.status).toBe('applied');
    expect(decodeOutcomeRecord(row!.outcome_record as Buffer).outcome_id).toBe(o!.outcome_id);
    const [c] = await env.sql`select deleted_at from contacts where tenant_id = ${env.tenant} and id = ${e.entity_id}`;
    expect(c!.deleted_at).not.toBeNull();
  });
});
