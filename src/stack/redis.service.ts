// Redis from Debian's packages, its own data folder, append-only file on.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { hostPort, type Config } from '../config.ts';
import { StackError } from '../infra/errors.ts';
import { aptInstall, isAlive, isPortOpen, readPid, removeFile, run, spawnDetached, stopPid, waitFor, which } from './process.ts';
import { portTakenMessage, stackPaths, type LocalService } from './service.ts';

export function redisService(cfg: Pick<Config, 'REDIS_URL' | 'dataDir'>): LocalService {
  const { host, port } = hostPort(cfg.REDIS_URL, 6379);
  const paths = stackPaths(cfg);
  const dir = path.join(paths.data, 'redis');
  const pidFile = path.join(paths.run, 'redis.pid');
  const logFile = path.join(paths.logs, 'redis.log');

  const ping = async () => {
    const client = new Redis({ host, port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {}); // a refused connection is the answer, not an event to log
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  };

  return {
    name: 'redis',
    address: `${host}:${port}`,
    async install(log) {
      if (!(await which('redis-server'))) await aptInstall(['redis-server'], log);
    },
    async start(log) {
      if (isAlive(readPid(pidFile))) return;
      if (await isPortOpen(host, port)) throw new StackError(portTakenMessage('redis', host, port, 'REDIS_URL'));
      mkdirSync(dir, { recursive: true });
      const conf = path.join(dir, 'redis.conf');
      writeFileSync(
        conf,
        [
          `bind ${host}`,
          `port ${port}`,
          `dir ${dir}`,
          'appendonly yes',
          'appendfsync everysec',
          'save ""',
          'protected-mode yes',
          'daemonize no',
          '',
        ].join('\n'),
      );
      log(`starting redis on ${host}:${port}`);
      spawnDetached('redis-server', [conf], { logFile, pidFile });
    },
    async ready() {
      await waitFor('redis', ping, 15_000, `see ${logFile}`);
    },
    async stop(signal = 'SIGTERM') {
      await stopPid(readPid(pidFile), signal);
      removeFile(pidFile);
    },
    async status() {
      const pid = readPid(pidFile);
      const healthy = await ping().catch(() => false);
      const version = (await run('redis-server', ['--version']).catch(() => '')).match(/v=([\d.]+)/)?.[1];
      return { name: 'redis', address: `${host}:${port}`, healthy, pid: isAlive(pid) ? pid : undefined, version };
    },
  };
}
