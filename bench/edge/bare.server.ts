// The HTTP ceiling: a bare Hono route on @hono/node-server that parses the same JSON body and answers 202.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('/bare', async (c) => {
  const body = (await c.req.json()) as { events?: unknown[] };
  return c.json({ accepted: Array.isArray(body.events) ? body.events.length : 1 }, 202);
});
const port = Number(process.argv[2] ?? 3901);
serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, () => console.log(`bare hono on ${port}`));
