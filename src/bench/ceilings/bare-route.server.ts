// The HTTP ceiling's server: a bare Hono route on @hono/node-server that parses the JSON body and answers 202,
// nothing else. Run as its own process (like inflow) so it gets its own event loop; prints its port when listening.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('/v1/events', async (c) => {
  const body = (await c.req.json()) as { events?: unknown[] };
  const n = Array.isArray(body.events) ? body.events.length : 1;
  return c.json({ accepted: n, event_ids: [], duplicates: [], rejected: [] }, 202);
});
const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info) => console.log(JSON.stringify({ port: info.port })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
