// The bulk bench's ingest load, in a process of its own so it does not share an event loop with the stats API the
// bench times: 100-event batches to POST /v1/events (closed loop, or a fixed rate), until SIGTERM or --seconds.
// Prints one JSON line per second {"t", "accepted", "rejected", "errors"} (running totals) and a final {"done": ...}.
//   npx tsx bench/bulk/ingest.load.ts --url http://127.0.0.1:PORT --keys k1,k2 [--seconds 30] [--rate events/s]
import { parseArgs } from 'node:util';
import { createEventGenerator } from '../../src/bench/events.gen.ts';
import { runLoad } from '../../src/bench/load.driver.ts';
import { createRequestFactory } from '../../src/bench/scenarios.ts';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string' },
    keys: { type: 'string' },
    seconds: { type: 'string', default: '0' },
    rate: { type: 'string', default: '0' },
    batch: { type: 'string', default: '100' },
    connections: { type: 'string', default: '8' },
    seed: { type: 'string', default: String(Date.now() % 100_000) },
  },
});
const batch = Number(args.batch);
const rate = Number(args.rate);
const keys = [args.keys!.split(',')]; // one tenant, its keys round-robin
const generator = createEventGenerator({ tenants: 1, cardinality: 200_000, seed: Number(args.seed) });
const next = createRequestFactory({ scenario: 'ingest-batch', batch, generator, keys });
const abort = new AbortController();
process.on('SIGTERM', () => abort.abort());

let accepted = 0;
let rejected = 0;
let errors = 0;
const t0 = performance.now();
const tick = setInterval(() => console.log(JSON.stringify({ t: Math.round(performance.now() - t0), accepted, rejected, errors })), 1000);
const result = await runLoad({
  url: args.url!,
  connections: Number(args.connections),
  next,
  requestRate: rate > 0 ? rate / batch : undefined,
  durationMs: Number(args.seconds) > 0 ? Number(args.seconds) * 1000 : undefined,
  signal: abort.signal,
  onResponse(r) {
    if (r.status === 200 || r.status === 202) {
      const body = JSON.parse(r.body) as { accepted?: number; rejected?: unknown[] };
      accepted += body.accepted ?? 0;
      rejected += body.rejected?.length ?? 0;
    } else errors += 1;
  },
});
clearInterval(tick);
console.log(JSON.stringify({ done: { t: Math.round(performance.now() - t0), accepted, rejected, errors, requests: result.requests, backlog: result.backlog } }));
