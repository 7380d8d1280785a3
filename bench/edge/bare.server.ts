// The HTTP ceiling: a bare Hono route on @hono/node-server that parses the same JSON body and answers 202.
// Usage: bare.server.ts [port] [processes]: with processes > 1, node:cluster forks that many (as EDGE_PROCESSES does).
import cluster from 'node:cluster';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const port = Number(process.argv[2] ?? 3901);
const processes = Number(process.argv[3] ?? 1);
if (cluster.isPrimary && processes > 1) {
  for (let i = 0; i < processes; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    process.exit(0);
  });
} else {
  const app = new Hono();
  app.post('/bare', async (c) => {
    const body = (await c.req.json()) as { events?: unknown[] };
    return c.json({ accepted: Array.isArray(body.events) ? body.events.length : 1 }, 202);
  });
  serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, () => console.log(`bare hono on ${port}`));
}
