// seed 003: POST /ingest with a LeadEvent -> a lead.created event, 202 once the broker acked.
// idempotency_key (body) names the lead: a resend is acknowledged as a duplicate and maps to the same lead id.
import type { Context } from 'hono';
import { isRetriable } from '../infra/errors.ts';
import { isJsonContentType, parseJson, readBody } from './body.reader.ts';
import { issuesToErrors, toCrmEvent } from './crm-event.mapper.ts';
import type { EdgeDeps } from './edge.deps.ts';
import { countEvents } from './edge.metrics.ts';
import { LeadEventSchema } from './envelope.schema.ts';
import { bodyHash } from './idempotency.store.ts';
import { derivedId, errorBody, reply, requestMeta, unavailable } from './request.context.ts';
import { uuidv7 } from './uuid7.ts';

const SOURCE = 'ingest';

export function createIngestHandler(deps: EdgeDeps) {
  const { publisher, idempotency, settings } = deps;

  return async function postIngest(c: Context) {
    const receivedAt = Date.now();
    const tenantId = c.get('principal').tenantId;
    const meta = requestMeta(c);
    const dead = (raw: Buffer, reason: string, errors?: { path: string; message: string }[]) =>
      publisher.deadLetter([{ raw, reason, errors, tenantId, source: SOURCE }], meta);

    const body = await readBody(c, settings.EDGE_MAX_BODY_BYTES);
    if (!isJsonContentType(c.req.header('content-type'))) {
      await dead(body.raw, 'unsupported_media_type');
      return reply(c, errorBody('unsupported_media_type', 'send Content-Type: application/json'), 415);
    }
    if (!body.ok) {
      await dead(body.raw, body.error);
      return reply(c, errorBody(body.error, body.message), body.status);
    }
    const json = parseJson(body.raw);
    if (!json.ok) {
      await dead(body.raw, 'malformed_json');
      countEvents(SOURCE, 'invalid');
      return reply(c, errorBody('malformed_json', 'the body is not valid JSON'), 400);
    }
    const parsed = LeadEventSchema.safeParse(json.value);
    const lead = parsed.success ? parsed.data : undefined;
    const key = lead?.idempotency_key;
    const { event_id, idempotency_key, received_at, consent, metadata, ip_address, ...data } = lead ?? {};
    const mapped = lead
      ? toCrmEvent(
          {
            event_id: event_id ?? (key ? derivedId(tenantId, 'ingest-event', key) : undefined),
            type: 'lead.created',
            entity_id: key ? derivedId(tenantId, 'ingest', key) : uuidv7(),
            occurred_at: received_at ?? receivedAt,
            consent,
            data: { ...data, ip: ip_address },
            metadata,
          },
          { tenantId, source: SOURCE, receivedAt, requestId: meta.requestId, traceparent: meta.traceparent, idempotencyKey: idempotency_key ?? null },
        )
      : { ok: false as const, errors: issuesToErrors(parsed.error!.issues) };
    if (!mapped.ok) {
      await dead(body.raw, 'invalid_event', mapped.errors);
      countEvents(SOURCE, 'invalid');
      return reply(c, { ...errorBody('invalid_event', 'the LeadEvent is not valid'), errors: mapped.errors }, 422);
    }
    const eventId = mapped.event.event_id;
    const claimKey = key ? `${tenantId}:ingest:${key}` : undefined;
    const hash = bodyHash(body.raw);
    const claim = claimKey ? await idempotency.claim(claimKey, hash) : undefined;
    if (claim?.state === 'done') {
      countEvents(SOURCE, 'duplicate');
      return reply(c, { accepted: true, event_id: claim.result || eventId, duplicate: true }, 202);
    }
    if (claim?.state === 'pending') return reply(c, errorBody('conflict', 'this idempotency_key is being accepted by a concurrent request; retry'), 409, { 'Retry-After': '1' });
    try {
      await publisher.publish([mapped.event], [], meta);
    } catch (err) {
      if (claimKey && claim?.state === 'claimed') await idempotency.release(claimKey, hash);
      countEvents(SOURCE, 'failed');
      if (isRetriable(err)) return unavailable(c);
      throw err;
    }
    if (claimKey && claim?.state === 'claimed') await idempotency.complete(claimKey, hash, eventId);
    countEvents(SOURCE, 'accepted');
    return reply(c, { accepted: true, event_id: eventId, duplicate: false }, 202);
  };
}
