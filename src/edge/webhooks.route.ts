// Signed webhooks: seed 002's AcmeCRM (POST /api/webhooks, X-Acme-Signature/X-Acme-Timestamp) and generic sources
// (POST /v1/webhooks/:source, Standard Webhooks headers). The signature is checked over the raw bytes before anything
// is parsed; a replayed delivery id is acknowledged once more without a second event (its event_id is derived from
// the delivery id, so even a resend past the Redis window is deduplicated by the worker).
import type { Context } from 'hono';
import { isRetriable } from '../infra/errors.ts';
import { parseJson, readBody } from './body.reader.ts';
import { issuesToErrors, toCrmEvent } from './crm-event.mapper.ts';
import type { EdgeDeps } from './edge.deps.ts';
import { countEvents } from './edge.metrics.ts';
import { AcmeWebhookSchema, StandardWebhookSchema, type FieldError } from './envelope.schema.ts';
import { bodyHash } from './idempotency.store.ts';
import type { WebhookSource } from './webhook-sources.repository.ts';
import { verifyAcme, verifyStandard } from './webhook.signature.ts';
import { derivedId, errorBody, reply, requestMeta, unavailable } from './request.context.ts';

type Mapped = { ok: true; envelope: Record<string, unknown> } | { ok: false; errors: FieldError[] };

/** A delivery payload -> the /v1 envelope shape, by the source's mapping. */
export function mapWebhook(mapping: WebhookSource['mapping'], payload: unknown, fallbackMs: number): Mapped {
  if (mapping === 'acme') {
    const p = AcmeWebhookSchema.safeParse(payload);
    if (!p.success) return { ok: false, errors: issuesToErrors(p.error.issues) };
    const type = p.data.event ?? p.data.eventType;
    if (!type) return { ok: false, errors: [{ path: 'event', message: 'contact.created, contact.updated or contact.deleted required' }] };
    const { id, ...data } = p.data.data;
    return { ok: true, envelope: { type, entity_id: String(id), occurred_at: p.data.timestamp ?? fallbackMs, data } };
  }
  const p = StandardWebhookSchema.safeParse(payload);
  if (!p.success) return { ok: false, errors: issuesToErrors(p.error.issues) };
  const { id, entity_id, ...data } = p.data.data;
  const entity = entity_id ?? id;
  if (!entity) return { ok: false, errors: [{ path: 'data.entity_id', message: 'data.entity_id or data.id required' }] };
  return { ok: true, envelope: { type: p.data.type, entity_id: entity, occurred_at: p.data.timestamp ?? fallbackMs, data } };
}

export function createWebhookHandler(deps: EdgeDeps, fixedSource?: 'acme') {
  const { publisher, idempotency, settings, sources } = deps;

  return async function postWebhook(c: Context) {
    const receivedAt = Date.now();
    const meta = requestMeta(c);
    const name = fixedSource ?? c.req.param('source') ?? '';
    const source = await sources.get(name);
    if (!source) return reply(c, errorBody('unknown_source', `no webhook source "${name}" is configured`), 404);
    const sourceLabel = `webhook:${source.name}`;

    const body = await readBody(c, settings.EDGE_MAX_BODY_BYTES);
    if (!body.ok) return reply(c, errorBody(body.error, body.message), body.status);
    const verifyOptions = { secrets: source.secrets, nowMs: receivedAt, toleranceS: settings.WEBHOOK_TOLERANCE_S };
    const acme = source.scheme === 'acme';
    const timestamp = acme ? c.req.header('x-acme-timestamp') : c.req.header('webhook-timestamp');
    const verified = acme
      ? verifyAcme({ signature: c.req.header('x-acme-signature'), timestamp }, body.raw, verifyOptions)
      : verifyStandard({ id: c.req.header('webhook-id'), timestamp, signature: c.req.header('webhook-signature') }, body.raw, verifyOptions);
    if (!verified.ok) {
      countEvents(sourceLabel, 'unauthorized');
      return reply(c, errorBody(verified.reason, 'the webhook signature or timestamp did not verify'), 401);
    }

    // From here the caller is authenticated: rejected input goes to the DLQ.
    const tenantId = source.tenantId;
    const dead = (reason: string, errors?: FieldError[]) => publisher.deadLetter([{ raw: body.raw, reason, errors, tenantId, source: sourceLabel }], meta);
    const json = parseJson(body.raw);
    if (!json.ok) {
      await dead('malformed_json');
      countEvents(sourceLabel, 'invalid');
      return reply(c, errorBody('malformed_json', 'the body is not valid JSON'), 400);
    }
    const tsMs = Number(timestamp) > 1e12 ? Number(timestamp) : Number(timestamp) * 1000;
    const mapped = mapWebhook(source.mapping, json.value, tsMs);
    const payloadId = (json.value as { id?: unknown }).id;
    const deliveryId = acme
      ? (typeof payloadId === 'string' && payloadId) || c.req.header('x-acme-webhook-id') || `sig:${c.req.header('x-acme-signature')}`
      : c.req.header('webhook-id')!;
    const event = mapped.ok
      ? toCrmEvent(mapped.envelope, {
          tenantId,
          source: sourceLabel,
          receivedAt,
          requestId: meta.requestId,
          traceparent: meta.traceparent,
          eventId: derivedId(tenantId, 'webhook', source.name, deliveryId),
        })
      : mapped;
    if (!event.ok) {
      await dead('invalid_event', event.errors);
      countEvents(sourceLabel, 'invalid');
      return reply(c, { ...errorBody('invalid_event', 'the webhook payload does not map to a CRM event'), errors: event.errors }, 422);
    }

    const claimKey = `${tenantId}:wh:${source.name}:${deliveryId}`;
    const hash = bodyHash(body.raw);
    const claim = await idempotency.claim(claimKey, hash);
    if (claim.state === 'done') {
      countEvents(sourceLabel, 'duplicate');
      return reply(c, { ok: true, event_id: event.event.event_id, duplicate: true }, 200);
    }
    if (claim.state === 'pending') return reply(c, errorBody('conflict', 'this delivery is being accepted by a concurrent request; retry'), 409, { 'Retry-After': '1' });
    try {
      await publisher.publish([event.event], [], meta);
    } catch (err) {
      if (claim.state === 'claimed') await idempotency.release(claimKey, hash);
      countEvents(sourceLabel, 'failed');
      if (isRetriable(err)) return unavailable(c);
      throw err;
    }
    if (claim.state === 'claimed') await idempotency.complete(claimKey, hash, event.event.event_id);
    countEvents(sourceLabel, 'accepted');
    return reply(c, { ok: true, event_id: event.event.event_id, duplicate: false }, 200);
  };
}
