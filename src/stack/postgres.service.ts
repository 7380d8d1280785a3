// PostgreSQL from Debian's packages, its own cluster under the project's data folder.
// initdb and pg_ctl refuse to run as root, so they run as the `postgres` user.
import { createHash } from 'node:crypto';
import { chownSync, existsSync, mkdirSync, readdirSync, writeFileSync, appendFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { hostPort, type Config } from '../config.ts';
import { StackError } from '../infra/errors.ts';
import { aptInstall, execFileAsync, isPortOpen, readPid, isAlive, run, waitFor } from './process.ts';
import { portTakenMessage, stackPaths, type LocalService } from './service.ts';

function findBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(path.join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? path.join(base, versions[0], 'bin') : undefined;
}

async function canPostgresReach(dir: string): Promise<boolean> {
  try {
    await execFileAsync('runuser', ['-u', 'postgres', '--', 'test', '-x', dir]);
    return true;
  } catch {
    return false;
  }
}

export function postgresService(cfg: Pick<Config, 'DATABASE_URL' | 'dataDir'>): LocalService & { socketDir(): Promise<string> } {
  const url = new URL(cfg.DATABASE_URL);
  const { host, port } = hostPort(cfg.DATABASE_URL, 5432);
  const paths = stackPaths(cfg);
  let rootDir: string | undefined;

  // The cluster lives under .inflow/data unless the postgres user cannot traverse that path
  // (a checkout under /root, say); then under /var/tmp, keyed by the project path.
  async function root(): Promise<string> {
    if (rootDir) return rootDir;
    mkdirSync(paths.data, { recursive: true });
    rootDir = (await canPostgresReach(paths.data))
      ? path.join(paths.data, 'postgres')
      : `/var/tmp/inflow-postgres-${createHash('sha1').update(paths.data).digest('hex').slice(0, 10)}`;
    return rootDir;
  }
  const pgdata = async () => path.join(await root(), 'pgdata');
  const socketDir = async () => path.join(await root(), 'socket');
  const logFile = async () => path.join(await root(), 'postgres.log');

  const asPostgres = async (bin: string, args: string[]) => {
    const dir = findBinDir();
    if (!dir) throw new StackError('postgres: no server binaries under /usr/lib/postgresql');
    return run('runuser', ['-u', 'postgres', '--', path.join(dir, bin), ...args]);
  };

  const ping = async () => {
    const sql = postgres(cfg.DATABASE_URL, { max: 1, connect_timeout: 2, onnotice: () => {} });
    try {
      await sql`select 1`;
      return true;
    } finally {
      await sql.end({ timeout: 1 });
    }
  };

  const adminSql = async () =>
    postgres({ path: path.join(await socketDir(), `.s.PGSQL.${port}`), user: 'postgres', database: 'postgres', max: 1, onnotice: () => {} });

  async function bootstrap(): Promise<void> {
    const admin = await adminSql();
    try {
      const user = decodeURIComponent(url.username || 'inflow');
      const password = decodeURIComponent(url.password || 'inflow');
      const database = url.pathname.replace(/^\//, '') || 'inflow';
      const [role] = await admin`select 1 from pg_roles where rolname = ${user}`;
      const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
      if (!role) await admin.unsafe(`create role ${ident(user)} login createdb createrole password '${password.replace(/'/g, "''")}'`);
      const [db] = await admin`select 1 from pg_database where datname = ${database}`;
      if (!db) await admin.unsafe(`create database ${ident(database)} owner ${ident(user)}`);
      // Extensions the migrations use; created here because some need a superuser.
      const target = postgres({ path: path.join(await socketDir(), `.s.PGSQL.${port}`), user: 'postgres', database, max: 1, onnotice: () => {} });
      try {
        await target`create extension if not exists pgcrypto`;
        await target`create extension if not exists pg_trgm`;
      } finally {
        await target.end({ timeout: 1 });
      }
    } finally {
      await admin.end({ timeout: 1 });
    }
  }

  return {
    name: 'postgres',
    address: `${host}:${port}`,
    socketDir,
    async install(log) {
      if (!findBinDir()) await aptInstall(['postgresql', 'postgresql-contrib'], log);
    },
    async start(log) {
      const data = await pgdata();
      if (isAlive(readPid(path.join(data, 'postmaster.pid')))) return;
      if (await isPortOpen(host, port)) throw new StackError(portTakenMessage('postgres', host, port, 'DATABASE_URL'));
      const dir = await root();
      if (!existsSync(path.join(data, 'PG_VERSION'))) {
        log(`initdb ${data}`);
        mkdirSync(dir, { recursive: true });
        const { stdout } = await execFileAsync('id', ['-u', 'postgres']);
        const uid = Number(stdout.trim());
        const gid = Number((await execFileAsync('id', ['-g', 'postgres'])).stdout.trim());
        chownSync(dir, uid, gid);
        chmodSync(dir, 0o700);
        await asPostgres('initdb', ['-D', data, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8']);
        appendFileSync(path.join(data, 'postgresql.conf'), "\ninclude_if_exists = 'inflow.conf'\n");
        await run('runuser', ['-u', 'postgres', '--', 'mkdir', '-p', await socketDir()]);
      }
      // Rewritten at each start so a changed port in DATABASE_URL takes effect.
      const conf = [
        `listen_addresses = '${host}'`,
        `port = ${port}`,
        `unix_socket_directories = '${await socketDir()}'`,
        'max_connections = 200',
        'shared_buffers = 512MB', // 24 GiB machines; the working set of the benches fits
        'work_mem = 16MB',
        'maintenance_work_mem = 256MB',
        'max_wal_size = 4GB', // bulk updates of 1M rows should not checkpoint every few seconds
        'checkpoint_timeout = 15min',
        'wal_compression = on',
        'log_min_duration_statement = 1000',
        '',
      ].join('\n');
      writeFileSync(path.join(data, 'inflow.conf'), conf);
      await run('chown', ['postgres:postgres', path.join(data, 'inflow.conf')]);
      log(`starting postgres on ${host}:${port}`);
      await asPostgres('pg_ctl', ['-D', data, '-l', await logFile(), '-w', '-t', '60', 'start']);
    },
    async ready() {
      // The role and database named in DATABASE_URL are created on every up (idempotent), so a new
      // database name (the tests' inflow_test, say) works against an already running server.
      await waitFor('postgres', async () => (await bootstrap(), true), 30_000, `see ${await logFile()}`);
      await waitFor('postgres', ping, 30_000, `see ${await logFile()}`);
    },
    async stop(signal = 'SIGTERM') {
      const data = await pgdata();
      if (!isAlive(readPid(path.join(data, 'postmaster.pid')))) return;
      // SIGKILL maps to "immediate": no checkpoint, crash recovery on next start (what the fault tests want).
      await asPostgres('pg_ctl', ['-D', data, '-m', signal === 'SIGKILL' ? 'immediate' : 'fast', '-w', '-t', '60', 'stop']);
    },
    async status() {
      const pid = readPid(path.join(await pgdata(), 'postmaster.pid'));
      let version: string | undefined;
      let healthy = false;
      try {
        const sql = postgres(cfg.DATABASE_URL, { max: 1, connect_timeout: 2, onnotice: () => {} });
        try {
          const [row] = await sql<{ server_version: string }[]>`show server_version`;
          version = row?.server_version.split(' ')[0];
          healthy = true;
        } finally {
          await sql.end({ timeout: 1 });
        }
      } catch {
        healthy = false;
      }
      return { name: 'postgres', address: `${host}:${port}`, healthy, pid: isAlive(pid) ? pid : undefined, version };
    },
  };
}
