// Runs `node bin/inflow.mjs start worker` as a child process on a test's private topics, for kill -9 tests.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config.ts';
import { testEnv } from '../support/test-env.ts';
import type { PipelineEnv } from './pipeline.support.ts';

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

export async function spawnWorker(env: PipelineEnv, extra: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn('node', [path.join(PROJECT_ROOT, 'bin', 'inflow.mjs'), 'start', 'worker', '--concurrency', '1'], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      ...testEnv(),
      KAFKA_TOPIC_PREFIX: env.prefix,
      HTTP_PORT: String(await freePort()),
      WORKER_GEOIP: 'off',
      WORKER_POOL: 'inline', // an injected fault SIGKILLs the process running the consumer: this one, not a pool child
      WORKER_BATCH_SIZE: '50', // several batches per run, so a kill lands mid-run
      LOG_LEVEL: 'info',
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    exited,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      await exited;
    },
  };
}
