// `inflow start edge` as a real process on a real socket: the seed 001 curl example, slow-loris protection,
// and a graceful shutdown on SIGTERM.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/config.ts';
import { unique } from '../support/helpers.ts';

let child: ChildProcess;
let port: number;
let output = '';
const tenant = unique('t-edge-srv');

async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port: p } = srv.address() as net.AddressInfo;
  srv.close();
  return p;
}

beforeAll(async () => {
  port = await freePort();
  child = spawn(process.execPath, ['bin/inflow.mjs', 'start', 'edge'], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, HTTP_PORT: String(port), LEAD_CAPTURE_TENANT: tenant, HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '2000', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((resolve, reject) => {
    child.on('exit', (code) => reject(new Error(`inflow start edge exited with ${code}: ${output}`)));
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      if (output.includes('inflow started')) resolve();
    });
  });
});
afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

describe('inflow start edge', () => {
  it("serves seed 001's curl example verbatim (only the port differs): 201, then 409 with the same lead_id", async () => {
    const curl = () =>
      promisify(execFile)('curl', [
        '-s', '-w', '\n%{http_code}',
        '-X', 'POST', `http://localhost:${port}/api/lead`,
        '-H', 'Content-Type: application/json',
        '-H', 'Idempotency-Key: test-key-123',
        '-H', 'X-Request-Id: req-123',
        '-d', '{\n    "click_id": "12345",\n    "country": "LV",\n    "email": "test@example.com",\n    "firstName": "John",\n    "lastName": "Doe",\n    "phone": "+371123456789",\n    "lang": "lv",\n    "marker": "Pureshka",\n    "offer": "Baltic Capital Native",\n    "sourcetype": "web"\n  }',
      ]);
    const [body1, code1] = (await curl()).stdout.split('\n');
    const [body2, code2] = (await curl()).stdout.split('\n');
    expect(code1).toBe('201');
    expect(code2).toBe('409');
    const first = JSON.parse(body1!) as { lead_id: string };
    expect(JSON.parse(body2!)).toEqual({ ok: true, lead_id: first.lead_id, deduplicated: true });
  });

  it('cuts off a client that trickles its headers (slow-loris)', async () => {
    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('POST /v1/events HTTP/1.1\r\nHost: localhost\r\nX-Slow: ');
    const started = Date.now();
    let reply = '';
    socket.on('data', (d: Buffer) => (reply += d.toString()));
    await once(socket, 'close');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
  });

  it('shuts down on SIGTERM: stops accepting first, then flushes the producer, exit code 0', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/health`)).status).toBe(200);
    child.kill('SIGTERM');
    const [code] = (await once(child, 'exit')) as [number];
    expect(code).toBe(0);
    const line = output.split('\n').find((l) => l.includes('"shutting down"'))!;
    const resources = (JSON.parse(line) as { resources: string[] }).resources;
    expect(resources.indexOf('http')).toBeLessThan(resources.indexOf('edge.producer'));
  });
});
