// Contacts API throughput and latency over real HTTP against a running api role (autocannon, 10 s per scenario).
//   HTTP_PORT=3106 API_RATE_LIMIT_PER_MINUTE=10000000 CHDB_PATH=/tmp/chdb-bench node bin/inflow.mjs start api &
//   flock /tmp/inflow-bench.lock flock /tmp/inflow-test.lock npx tsx bench/contacts/contacts.bench.ts --url http://127.0.0.1:3106
// Scenarios: create (a transaction with the contact and its two outbox rows), get by id (API key), search, login (argon2id).
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values: args } = parseArgs({ options: { url: { type: 'string', default: 'http://127.0.0.1:3000' }, connections: { type: 'string', default: '16' }, duration: { type: 'string', default: '10' } } });
const base = args.url;
const json = async (path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) => {
  const res = await fetch(base + path, { method: init.method ?? 'GET', headers: { 'content-type': 'application/json', ...init.headers }, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  return (await res.json()) as Record<string, string>;
};

const email = `bench-${Date.now()}@example.com`;
const reg = await json('/v1/auth/register', { method: 'POST', body: { email, password: 'benchmark-pw', account: 'Bench' } });
const auth = { authorization: `Bearer ${reg.token}`, 'content-type': 'application/json' };
const key = await json('/v1/api-keys', { method: 'POST', headers: auth, body: { scopes: ['read', 'write'] } });
const keyAuth = { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' };
const seed = await json('/v1/contacts', { method: 'POST', headers: keyAuth, body: { email: `seed-${Date.now()}@example.com`, first_name: 'Seed' } });

type Opts = Parameters<typeof autocannon>[0];
const run = (opts: Partial<Opts>) =>
  new Promise<autocannon.Result>((resolve, reject) =>
    autocannon({ url: base, connections: Number(args.connections), duration: Number(args.duration), ...opts } as Opts, (err, r) => (err ? reject(err) : resolve(r))),
  );
const show = (name: string, r: autocannon.Result) =>
  console.log(`${name}: ${r.requests.average} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}`);

let n = 0;
show('POST /v1/contacts (JWT)', await run({
  requests: [{ method: 'POST', path: '/v1/contacts', headers: auth, setupRequest: (req) => ({ ...req, body: JSON.stringify({ email: `c${process.pid}-${Date.now()}-${n++}@example.com`, first_name: 'Load', company: 'Bench Inc' }) }) }],
}));
show('GET /v1/contacts/:id (API key)', await run({ requests: [{ method: 'GET', path: `/v1/contacts/${seed.id}`, headers: keyAuth }] }));
show('GET /v1/contacts?q=load&limit=20 (JWT)', await run({ requests: [{ method: 'GET', path: '/v1/contacts?q=load&limit=20', headers: auth }] }));
show('POST /v1/auth/login (argon2id, 4 connections)', await run({ connections: 4, requests: [{ method: 'POST', path: '/v1/auth/login', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: 'benchmark-pw' }) }] }));
