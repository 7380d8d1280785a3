// The ingestion edge as a Hono app built from its dependencies: `inflow start edge` mounts it on the process's
// HTTP server, tests call app.request() on it directly.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { authenticate } from '../accounts/auth.middleware.ts';
import type { EdgeDeps } from './edge.deps.ts';
import { observeLatency } from './edge.metrics.ts';
import { createEventsHandler } from './events.route.ts';
import { createIngestHandler } from './ingest.route.ts';
import { createLeadHandler, leadTenant } from './lead.route.ts';
import { registerEdgeDocs } from './openapi.docs.ts';
import { rateLimit } from './rate-limit.middleware.ts';
import { addReplyHeaders, errorBody } from './request.context.ts';
import { createWebhookHandler } from './webhooks.route.ts';

declare module 'hono' {
  interface ContextVariableMap {
    /** POST /api/lead: the tenant from the API key or LEAD_CAPTURE_TENANT. */
    leadTenant: string;
  }
}

const STATUS_CODES: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden', 404: 'not_found', 413: 'payload_too_large' };

export function createEdgeApp(deps: EdgeDeps): OpenAPIHono {
  const app = new OpenAPIHono();
  const log = deps.logger.child({ module: 'edge.http' });
  const limit = deps.settings.EDGE_RATE_LIMIT_PER_S;
  const limiter = deps.limiter;

  // No stack traces in responses: known HTTP errors keep their message, anything else is a bare 500.
  app.onError((err, c) => {
    if (err instanceof HTTPException) return c.json(errorBody(STATUS_CODES[err.status] ?? 'error', err.message), err.status);
    log.error({ err, path: c.req.path }, 'unhandled edge error');
    return c.json(errorBody('internal_error'), 500);
  });

  app.use('*', async function latency(c, next) {
    const started = performance.now();
    await next();
    addReplyHeaders(c);
    observeLatency(c.req.routePath, c.res.status, (performance.now() - started) / 1000);
  });

  app.get('/ready', async (c) => {
    const checks = await deps.ready();
    const ok = checks.broker && checks.registry;
    return c.json({ ok, ...checks }, ok ? 200 : 503);
  });

  const ingestAuth = authenticate({ apiKeys: deps.apiKeys, scope: 'ingest' });
  const byKey = rateLimit({
    limiter,
    limit,
    bucketOf: (c: Context) => {
      const p = c.get('principal');
      return p.kind === 'api_key' ? `key:${p.keyId}` : `user:${p.userId}`;
    },
  });
  app.post('/v1/events', ingestAuth, byKey, createEventsHandler(deps));
  app.post('/ingest', ingestAuth, byKey, createIngestHandler(deps));

  app.post(
    '/api/lead',
    async function leadCaptureTenant(c, next) {
      const tenant = await leadTenant(c, deps);
      if (!tenant) return c.json({ ok: false, error: 'unauthorized' }, 401);
      c.set('leadTenant', tenant.tenantId);
      const d = await limiter.take(tenant.bucket);
      if (!d.allowed) return c.json({ ok: false, error: 'rate_limited' }, 429, { 'Retry-After': String(Math.max(1, Math.ceil(d.retryAfterMs / 1000))) });
      await next();
    },
    createLeadHandler(deps),
  );

  const bySource = (name: (c: Context) => string) => rateLimit({ limiter, limit, bucketOf: (c) => `source:${name(c)}` });
  app.post('/api/webhooks', bySource(() => 'acme'), createWebhookHandler(deps, 'acme'));
  app.post('/v1/webhooks/:source', bySource((c) => c.req.param('source') ?? ''), createWebhookHandler(deps));

  registerEdgeDocs(app.openAPIRegistry);
  app.doc('/openapi.json', {
    openapi: '3.0.3',
    info: { title: 'inflow ingestion edge', version: '1.0.0', description: 'CRM events in, Avro in Kafka out; 2xx only after the broker acknowledged.' },
  });
  return app;
}
