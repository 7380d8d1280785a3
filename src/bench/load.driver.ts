// The load driver: a keep-alive node:http pool, open-loop fixed rate or closed-loop max.
// Chosen over autocannon and fetch after measuring them against a bare Hono route on this 2-core box
// (node:http 9.3k req/s, autocannon 7.6k, fetch 1.1k; bench/README.md). Latency in fixed-rate mode is measured
// from each request's scheduled send time, so a stalled server cannot hide its queueing (coordinated omission).
import http from 'node:http';

export interface BenchRequest {
  kind: string;
  method: 'POST' | 'GET';
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** events this request carries (1 for lead capture and webhooks) */
  events: number;
  /** tenant index of the API key used */
  tenant: number;
  /** client-assigned event ids, in body order, for the correctness check */
  eventIds: string[];
}

export interface BenchResponse {
  request: BenchRequest;
  /** HTTP status, or 0 for a transport failure (see error) */
  status: number;
  body: string;
  latencyMs: number;
  error?: string;
}

export interface LoadOptions {
  url: string;
  connections: number;
  next(): BenchRequest;
  onResponse(r: BenchResponse): void;
  /** requests per second; absent = closed loop (each connection sends as soon as its last answer came) */
  requestRate?: number;
  durationMs?: number;
  maxRequests?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface LoadResult {
  requests: number;
  elapsedMs: number;
  /** requests still due when the run ended: the server could not keep up with the fixed rate */
  backlog: number;
}

export async function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const target = new URL(opts.url);
  // One socket per connection, kept alive: the edge sees the same long-lived connections a producer fleet holds.
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections, maxFreeSockets: opts.connections });
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const start = performance.now();
  const endAt = opts.durationMs ? start + opts.durationMs : Number.POSITIVE_INFINITY;
  const maxRequests = opts.maxRequests ?? Number.POSITIVE_INFINITY;
  let issued = 0;
  let inFlight = 0;

  const send = (req: BenchRequest, scheduledAt: number) =>
    new Promise<void>((resolve) => {
      inFlight++;
      let settled = false;
      const finish = (status: number, body: string, error?: string) => {
        if (settled) return;
        settled = true;
        inFlight--;
        opts.onResponse({ request: req, status, body, latencyMs: performance.now() - scheduledAt, error });
        resolve();
      };
      const r = http.request(
        { host: target.hostname, port: target.port, path: req.path, method: req.method, agent, timeout: timeoutMs,
          headers: { ...req.headers, 'content-length': String(req.body.length) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => finish(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8')));
          res.on('error', (e: NodeJS.ErrnoException) => finish(0, '', e.code ?? 'response_error'));
        },
      );
      r.on('timeout', () => r.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      r.on('error', (e: NodeJS.ErrnoException) => finish(0, '', e.code ?? 'request_error'));
      r.end(req.body);
    });

  const more = () => performance.now() < endAt && issued < maxRequests && !opts.signal?.aborted;

  if (!opts.requestRate) {
    const loop = async () => {
      while (more()) {
        issued++;
        await send(opts.next(), performance.now());
      }
    };
    await Promise.all(Array.from({ length: opts.connections }, loop));
    agent.destroy();
    return { requests: issued, elapsedMs: performance.now() - start, backlog: 0 };
  }

  const intervalMs = 1000 / opts.requestRate;
  const pending = new Set<Promise<void>>();
  let backlog = 0;
  while (more()) {
    const now = performance.now();
    const due = Math.min(maxRequests, Math.floor((now - start) / intervalMs) + 1);
    // Requests due but beyond the connection budget wait; their latency still counts from the scheduled time.
    while (issued < due && inFlight < opts.connections) {
      const scheduledAt = start + issued * intervalMs;
      issued++;
      const p = send(opts.next(), scheduledAt);
      pending.add(p);
      void p.then(() => pending.delete(p));
    }
    backlog = due - issued;
    const wait = issued < due ? 1 : Math.max(0, start + issued * intervalMs - performance.now());
    await new Promise<void>((resolve) => setTimeout(resolve, Math.min(wait, 50)));
  }
  await Promise.all(pending);
  agent.destroy();
  return { requests: issued, elapsedMs: performance.now() - start, backlog };
}
