// seed 001: POST /api/lead. Flat lead JSON, stored as sent ("no validation": known fields become the lead record,
// everything else goes to metadata). 201 new, 409 duplicate Idempotency-Key (its lead_id), 400 invalid_payload.
// The key is the client's hash of email|phone|date, so the same key is a duplicate whatever the body.
// The lead_id and event_id are derived from (tenant, key): a resend after a lost reply maps to the same lead.
import type { Context } from 'hono';
import { bearerToken } from '../accounts/auth.middleware.ts';
import { isRetriable } from '../infra/errors.ts';
import { parseJson, readBody } from './body.reader.ts';
import { toCrmEvent } from './crm-event.mapper.ts';
import type { EdgeDeps } from './edge.deps.ts';
import { countEvents } from './edge.metrics.ts';
import { derivedId, isPlainObject, reply, requestMeta } from './request.context.ts';
import { uuidv7 } from './uuid7.ts';

const SOURCE = 'lead_capture';

/** The lead's tenant: from the API key when one is sent, else LEAD_CAPTURE_TENANT (the seed's clients send none). */
export async function leadTenant(c: Context, deps: EdgeDeps): Promise<{ tenantId: string; bucket: string } | null> {
  const token = bearerToken(c.req.header('authorization'));
  if (token) {
    const principal = await deps.apiKeys.verify(token);
    if (!principal || !principal.scopes.includes('ingest')) return null;
    return { tenantId: principal.tenantId, bucket: `key:${principal.keyId}` };
  }
  const tenant = deps.settings.LEAD_CAPTURE_TENANT;
  return tenant ? { tenantId: tenant, bucket: `lead:${tenant}` } : null;
}

export function createLeadHandler(deps: EdgeDeps) {
  const { publisher, idempotency, settings } = deps;
  const log = deps.logger.child({ module: 'edge.lead' });

  return async function postLead(c: Context) {
    const receivedAt = Date.now();
    const tenantId = c.get('leadTenant');
    const meta = requestMeta(c);
    const invalid = () => reply(c, { ok: false, error: 'invalid_payload' }, 400);
    try {
      const body = await readBody(c, settings.EDGE_MAX_BODY_BYTES);
      const json = body.ok ? parseJson(body.raw) : { ok: false as const };
      if (!body.ok || !json.ok || !isPlainObject(json.value)) {
        await publisher.deadLetter([{ raw: body.raw, reason: body.ok ? 'invalid_payload' : body.error, tenantId, source: SOURCE }], meta);
        countEvents(SOURCE, 'invalid');
        return body.ok ? invalid() : reply(c, { ok: false, error: body.status === 413 ? 'payload_too_large' : 'invalid_payload' }, body.status === 413 ? 413 : 400);
      }
      const key = c.req.header('idempotency-key')?.slice(0, 255) || undefined;
      const leadId = key ? derivedId(tenantId, 'lead', key) : uuidv7();
      const claimKey = `${tenantId}:lead:${key}`;
      if (key) {
        let claim = await idempotency.claim(claimKey, 'lead');
        // A concurrent request holds the key: wait for its outcome. Answering 409 now would tell the seed's client
        // (which treats 409 as success) that a lead exists before it is durable.
        if (claim.state === 'pending') claim = await idempotency.settle(claimKey, 'lead', settings.EDGE_PRODUCE_TIMEOUT_MS + 1_000);
        if (claim.state === 'done') {
          countEvents(SOURCE, 'duplicate');
          return reply(c, { ok: true, lead_id: claim.result || leadId, deduplicated: true }, 409);
        }
        if (claim.state === 'pending') return reply(c, { ok: false, error: 'internal_error' }, 503, { 'Retry-After': '1' });
      }
      const { consent, ...data } = json.value;
      const mapped = toCrmEvent(
        {
          type: 'lead.created',
          entity_id: leadId,
          occurred_at: receivedAt,
          consent: typeof consent === 'boolean' ? consent : undefined,
          data,
        },
        {
          tenantId,
          source: SOURCE,
          receivedAt,
          requestId: meta.requestId,
          traceparent: meta.traceparent,
          idempotencyKey: key ?? null,
          eventId: key ? derivedId(tenantId, 'lead-event', key) : undefined,
        },
        { lenient: true },
      );
      if (!mapped.ok) {
        if (key) await idempotency.release(claimKey, 'lead');
        await publisher.deadLetter([{ raw: body.raw, reason: 'invalid_payload', errors: mapped.errors, tenantId, source: SOURCE }], meta);
        return invalid();
      }
      try {
        await publisher.publish([mapped.event], [], meta);
      } catch (err) {
        if (key) await idempotency.release(claimKey, 'lead');
        countEvents(SOURCE, 'failed');
        if (isRetriable(err)) return reply(c, { ok: false, error: 'internal_error' }, 503, { 'Retry-After': '2' });
        throw err;
      }
      if (key) await idempotency.complete(claimKey, 'lead', leadId);
      countEvents(SOURCE, 'accepted');
      log.info({ tenant_id: tenantId, lead_id: leadId, event_id: mapped.event.event_id, request_id: meta.requestId }, 'lead accepted');
      return reply(c, { ok: true, lead_id: leadId, deduplicated: false }, 201);
    } catch (err) {
      log.error({ err, tenant_id: tenantId, request_id: meta.requestId }, 'lead capture failed');
      return reply(c, { ok: false, error: 'internal_error' }, 500);
    }
  };
}
