// The HTTP surface shared by every role: health, readiness and metrics. Feature routes mount onto this app.
import { Hono } from 'hono';
import type { Logger } from '../infra/logger.ts';
import { renderMetrics } from '../infra/metrics.ts';

export function createHttpApp(_deps: { logger: Logger }): Hono {
  const app = new Hono();
  app.get('/health', (c) => c.json({ ok: true, timestamp: new Date().toISOString() }));
  app.get('/metrics', async (c) => {
    const { contentType, body } = await renderMetrics();
    return c.body(body, 200, { 'content-type': contentType });
  });
  return app;
}
