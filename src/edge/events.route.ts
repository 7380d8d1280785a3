// POST /v1/events: one envelope or { events: [...] }. Valid events are produced (202 after the broker acked),
// invalid ones are listed by index and their raw bytes go to the DLQ. Edge idempotency: a client event_id or an
// Idempotency-Key seen within the window returns the original result flagged duplicate; a reused key with a
// different body is 422; a key held by a concurrent request is 409 (retry).
import type { Context } from 'hono';
import { isRetriable } from '../infra/errors.ts';
import { bodyHash, type Claim } from './idempotency.store.ts';
import { isJsonContentType, parseJson, readBody } from './body.reader.ts';
import { toCrmEvent, type CrmEvent } from './crm-event.mapper.ts';
import type { EdgeDeps } from './edge.deps.ts';
import { countEvents } from './edge.metrics.ts';
import type { IngestResult } from './envelope.schema.ts';
import type { DlqRecord } from './event.publisher.ts';
import { derivedId, errorBody, isPlainObject, reply, requestMeta, unavailable } from './request.context.ts';

const SOURCE = 'api';

interface Held {
  key: string;
  hash: string;
}

export function createEventsHandler(deps: EdgeDeps) {
  const { publisher, idempotency, settings } = deps;
  const log = deps.logger.child({ module: 'edge.events' });

  return async function postEvents(c: Context) {
    const receivedAt = Date.now();
    const tenantId = c.get('principal').tenantId;
    const meta = requestMeta(c);
    const reject = (r: Omit<DlqRecord, 'tenantId' | 'source'>) => publisher.deadLetter([{ ...r, tenantId, source: SOURCE }], meta);

    const contentType = c.req.header('content-type');
    const body = await readBody(c, settings.EDGE_MAX_BODY_BYTES);
    if (!isJsonContentType(contentType)) {
      await reject({ raw: body.raw, reason: 'unsupported_media_type', contentType });
      return reply(c, errorBody('unsupported_media_type', 'send Content-Type: application/json'), 415);
    }
    if (!body.ok) {
      await reject({ raw: body.raw, reason: body.error, truncated: body.truncated });
      return reply(c, errorBody(body.error, body.message), body.status);
    }
    const json = parseJson(body.raw);
    if (!json.ok) {
      await reject({ raw: body.raw, reason: 'malformed_json' });
      countEvents(SOURCE, 'invalid');
      return reply(c, errorBody('malformed_json', 'the body is not valid JSON'), 400);
    }
    const value = json.value;
    const single = !(Array.isArray(value) || (isPlainObject(value) && Array.isArray(value.events) && !('type' in value)));
    const items: unknown[] = single ? [value] : Array.isArray(value) ? value : (value as { events: unknown[] }).events;
    if (items.length > settings.EDGE_MAX_BATCH_EVENTS) {
      await reject({ raw: body.raw, reason: 'too_many_events' });
      return reply(c, errorBody('too_many_events', `at most ${settings.EDGE_MAX_BATCH_EVENTS} events per request`), 413);
    }
    if (items.length === 0) return reply(c, errorBody('no_events', 'the batch is empty'), 422);

    // Request-level Idempotency-Key (IETF draft semantics).
    const idemKey = c.req.header('idempotency-key');
    if (idemKey !== undefined && (idemKey.length === 0 || idemKey.length > 255)) {
      return reply(c, errorBody('invalid_idempotency_key', 'Idempotency-Key must be 1-255 characters'), 400);
    }
    const held: Held[] = [];
    const releaseAll = () => Promise.all(held.map((h) => idempotency.release(h.key, h.hash)));
    let requestClaim: Held | undefined;
    if (idemKey) {
      requestClaim = { key: `${tenantId}:req:${idemKey}`, hash: bodyHash(body.raw) };
      const claim = await idempotency.claim(requestClaim.key, requestClaim.hash);
      if (claim.state === 'done' || claim.state === 'pending') {
        if (claim.hash !== requestClaim.hash) {
          return reply(c, errorBody('idempotency_key_reused', 'this Idempotency-Key was used with a different body'), 422);
        }
        if (claim.state === 'pending') return reply(c, errorBody('conflict', 'a request with this Idempotency-Key is in progress; retry'), 409, { 'Retry-After': '1' });
        const original = JSON.parse(claim.result) as { status: 202 | 422; body: IngestResult };
        countEvents(SOURCE, 'duplicate', original.body.event_ids.length);
        return reply(c, { ...original.body, duplicates: original.body.event_ids }, original.status, { 'Idempotent-Replayed': 'true' });
      }
      if (claim.state === 'claimed') held.push(requestClaim);
    }

    // Validate and map every event; an id is derived from the Idempotency-Key so a resend reuses it.
    const rejected: IngestResult['rejected'] = [];
    const dlq: DlqRecord[] = [];
    const slots: { index: number; event: CrmEvent; hash?: string; duplicate?: boolean; dropped?: boolean }[] = [];
    const seen = new Map<string, string>();
    items.forEach((item, index) => {
      const mapped = toCrmEvent(item, {
        tenantId,
        source: SOURCE,
        receivedAt,
        requestId: meta.requestId,
        traceparent: meta.traceparent,
        idempotencyKey: idemKey ?? null,
        eventId: idemKey ? derivedId(tenantId, idemKey, String(index)) : undefined,
      });
      // Re-serialised only when needed (DLQ, or the hash of a client event_id): most events need neither.
      const raw = () => Buffer.from(JSON.stringify(item) ?? 'null');
      if (!mapped.ok) {
        rejected.push({ index, errors: mapped.errors });
        dlq.push({ raw: raw(), reason: 'invalid_event', errors: mapped.errors, index, tenantId, source: SOURCE });
        return;
      }
      const clientId = isPlainObject(item) && typeof item.event_id === 'string';
      const hash = clientId ? bodyHash(raw()) : undefined;
      const prior = seen.get(mapped.event.event_id);
      if (prior !== undefined) {
        if (prior === hash) slots.push({ index, event: mapped.event, duplicate: true });
        else rejected.push({ index, errors: [{ path: 'event_id', message: 'repeats an earlier event_id of this batch with a different body' }] });
        return;
      }
      seen.set(mapped.event.event_id, hash ?? '');
      slots.push({ index, event: mapped.event, hash });
    });

    // Per-event claims for client-supplied event ids, all in one pipelined round trip.
    const claims = await Promise.all(
      slots.map((s): Promise<Claim | null> => (s.hash && !s.duplicate ? idempotency.claim(`${tenantId}:ev:${s.event.event_id}`, s.hash) : Promise.resolve(null))),
    );
    let conflict = false;
    slots.forEach((s, i) => {
      const claim = claims[i];
      if (!claim || !s.hash) return;
      if (claim.state === 'claimed') held.push({ key: `${tenantId}:ev:${s.event.event_id}`, hash: s.hash });
      else if (claim.state === 'pending') conflict = true;
      else if (claim.state === 'done') {
        if (claim.hash === s.hash) s.duplicate = true;
        else {
          const errors = [{ path: 'event_id', message: 'already used by a different event within the dedup window' }];
          rejected.push({ index: s.index, errors });
          dlq.push({ raw: Buffer.from(JSON.stringify(items[s.index])), reason: 'event_id_reused', errors, index: s.index, tenantId, source: SOURCE });
          s.dropped = true;
        }
      }
    });
    if (conflict) {
      await releaseAll();
      return reply(c, errorBody('conflict', 'an event_id of this request is being accepted by a concurrent request; retry'), 409, { 'Retry-After': '1' });
    }
    const kept = slots.filter((s) => !s.dropped).sort((a, b) => a.index - b.index);
    const fresh = kept.filter((s) => !s.duplicate).map((s) => s.event);

    try {
      if (fresh.length) await publisher.publish(fresh, dlq, meta);
      else if (dlq.length) await publisher.deadLetter(dlq, meta);
    } catch (err) {
      await releaseAll();
      countEvents(SOURCE, 'failed', fresh.length);
      if (isRetriable(err)) return unavailable(c);
      throw err;
    }

    rejected.sort((a, b) => a.index - b.index);
    const result: IngestResult = {
      accepted: kept.length,
      event_ids: kept.map((s) => s.event.event_id),
      duplicates: kept.filter((s) => s.duplicate).map((s) => s.event.event_id),
      rejected,
    };
    const status = result.accepted === 0 ? 422 : 202;
    await Promise.all(
      held.map((h) =>
        h === requestClaim
          ? idempotency.complete(h.key, h.hash, JSON.stringify({ status, body: result }))
          : idempotency.complete(h.key, h.hash, 'accepted'),
      ),
    );
    countEvents(SOURCE, 'accepted', fresh.length);
    if (result.duplicates.length) countEvents(SOURCE, 'duplicate', result.duplicates.length);
    if (rejected.length) countEvents(SOURCE, 'invalid', rejected.length);
    if (rejected.length) log.info({ tenant_id: tenantId, request_id: meta.requestId, rejected: rejected.length }, 'events rejected');
    if (status === 422) return reply(c, { error: 'invalid_event', message: 'no event in the request is valid', ...result }, 422);
    return reply(c, result, 202);
  };
}
