// /openapi.json: every edge route, described with the same zod schemas the handlers validate with.
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import {
  AcmeWebhookSchema,
  ErrorSchema,
  EventBatchSchema,
  EventEnvelopeSchema,
  IngestResultSchema,
  LeadCaptureResultSchema,
  LeadCaptureSchema,
  LeadEventSchema,
  StandardWebhookSchema,
} from './envelope.schema.ts';

const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
const error = (description: string) => json(ErrorSchema, description);
const WebhookAck = z.object({ ok: z.boolean(), event_id: z.string(), duplicate: z.boolean() }).openapi('WebhookAck');
const common = {
  401: error('missing, invalid or revoked API key (or bad webhook signature)'),
  413: error('body larger than EDGE_MAX_BODY_BYTES (after gzip) or more than EDGE_MAX_BATCH_EVENTS events'),
  429: error('rate limit of the API key; see Retry-After and RateLimit-* headers'),
  503: error('the broker did not acknowledge; nothing was accepted; retry after Retry-After'),
};

export function registerEdgeDocs(registry: OpenAPIHono['openAPIRegistry']): void {
  registry.registerComponent('securitySchemes', 'apiKey', { type: 'http', scheme: 'bearer', description: 'an ifk_ API key with the ingest scope' });
  const headers = z.object({
    'idempotency-key': z.string().max(255).optional(),
    'x-request-id': z.string().optional(),
    traceparent: z.string().optional(),
    'content-encoding': z.enum(['gzip']).optional(),
  });

  registry.registerPath({
    method: 'post',
    path: '/v1/events',
    summary: 'Ingest one event or a batch',
    security: [{ apiKey: [] }],
    request: { headers, body: { content: { 'application/json': { schema: z.union([EventEnvelopeSchema, EventBatchSchema]) } } } },
    responses: {
      202: json(IngestResultSchema, 'accepted events are durable in the broker (acks=all); invalid ones listed by index'),
      400: error('malformed JSON'),
      409: error('the Idempotency-Key or an event_id is held by a concurrent request; retry'),
      415: error('Content-Type is not application/json'),
      422: json(IngestResultSchema.extend({ error: z.string() }), 'no valid event, or an Idempotency-Key reused with a different body'),
      ...common,
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/lead',
    summary: 'seed 001 lead capture',
    request: { headers, body: { content: { 'application/json': { schema: LeadCaptureSchema } } } },
    responses: {
      201: json(LeadCaptureResultSchema, '{ ok: true, lead_id, deduplicated: false }'),
      409: json(LeadCaptureResultSchema, 'the Idempotency-Key was seen: { ok: true, lead_id: <same>, deduplicated: true }'),
      400: json(LeadCaptureResultSchema, '{ ok: false, error: "invalid_payload" }'),
      500: json(LeadCaptureResultSchema, '{ ok: false, error: "internal_error" }'),
      401: json(LeadCaptureResultSchema, 'no API key and no LEAD_CAPTURE_TENANT configured'),
      503: json(LeadCaptureResultSchema, 'broker unavailable; retry after Retry-After'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/ingest',
    summary: 'seed 003 LeadEvent ingestion',
    security: [{ apiKey: [] }],
    request: { body: { content: { 'application/json': { schema: LeadEventSchema } } } },
    responses: {
      202: json(z.object({ accepted: z.boolean(), event_id: z.string(), duplicate: z.boolean() }), 'durable in the broker'),
      400: error('malformed JSON'),
      415: error('Content-Type is not application/json'),
      422: error('not a valid LeadEvent'),
      ...common,
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/api/webhooks',
    summary: 'seed 002 AcmeCRM webhooks: X-Acme-Signature = hex HMAC-SHA256(secret, X-Acme-Timestamp + "." + raw body)',
    request: {
      headers: z.object({ 'x-acme-signature': z.string(), 'x-acme-timestamp': z.string() }),
      body: { content: { 'application/json': { schema: AcmeWebhookSchema } } },
    },
    responses: { 200: json(WebhookAck, 'accepted (or a replayed delivery, duplicate: true)'), 400: error('malformed JSON'), 422: error('unmappable payload'), ...common },
  });
  registry.registerPath({
    method: 'post',
    path: '/v1/webhooks/{source}',
    summary: 'Standard Webhooks from a configured source (webhook_sources table)',
    request: {
      params: z.object({ source: z.string() }),
      headers: z.object({ 'webhook-id': z.string(), 'webhook-timestamp': z.string(), 'webhook-signature': z.string() }),
      body: { content: { 'application/json': { schema: StandardWebhookSchema } } },
    },
    responses: { 200: json(WebhookAck, 'accepted (or a replayed webhook-id, duplicate: true)'), 404: error('unknown source'), 422: error('unmappable payload'), ...common },
  });
}
