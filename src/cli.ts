// `inflow`: one command, with a subcommand per job. Each action loads its module lazily so `--help` stays fast.
import { Command, Option } from 'commander';
import { ConfigError, config, redactUrl } from './config.ts';

const program = new Command()
  .name('inflow')
  .description('CRM events from HTTP producers through Redpanda, applied exactly once to PostgreSQL, every outcome in ClickHouse.')
  .showHelpAfterError();

const say = (msg: string) => console.log(`  ${msg}`);

program
  .command('up')
  .description('install (first time) and start the local stack: Kafka (KRaft), schema registry, PostgreSQL, Redis; apply migrations, topics and schemas')
  .action(async () => {
    const { up, status } = await import('./stack/stack.ts');
    const cfg = config();
    console.log(`inflow up (data in ${cfg.dataDir})`);
    const { describeDiskFree, diskFree } = await import('./stack/disk.ts');
    const result = await up(cfg, say);
    printStatus(await status(cfg));
    console.log(`\n  ${describeDiskFree(diskFree(cfg.dataDir))}`);
    console.log(
      `\nmigrations applied: ${result.migrations.length ? result.migrations.join(', ') : 'none pending'}; ` +
        `clickhouse: ${Array.isArray(result.clickhouseMigrations) ? result.clickhouseMigrations.join(', ') || 'none pending' : result.clickhouseMigrations}; ` +
        `topics created: ${result.topicsCreated.length ? result.topicsCreated.join(', ') : 'none (all present)'}`,
    );
    console.log(`schemas: ${Object.entries(result.schemas).map(([s, id]) => `${s}=${id}`).join(', ')}`);
    console.log(`\nup took ${result.seconds.toFixed(1)} s`);
  });

program
  .command('init')
  .description('prepare any environment (local or not): Postgres migrations, topics, Avro schemas, ClickHouse DDL; idempotent')
  .action(async () => {
    const { initialize } = await import('./stack/stack.ts');
    const result = await initialize(config());
    console.log(JSON.stringify(result, null, 2));
  });

program
  .command('down')
  .description('stop the local stack (data is kept; delete INFLOW_HOME to start afresh)')
  .action(async () => {
    const { down } = await import('./stack/stack.ts');
    await down(config(), say);
  });

program
  .command('status')
  .description('each service, its address and whether it is healthy; exit code 1 if any is not')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const { status } = await import('./stack/stack.ts');
    const { describeDiskFree, diskFree } = await import('./stack/disk.ts');
    const cfg = config();
    const rows = await status(cfg);
    const disk = diskFree(cfg.dataDir);
    if (opts.json) console.log(JSON.stringify(rows, null, 2));
    else {
      printStatus(rows);
      console.log(`\n  ${describeDiskFree(disk)}`);
    }
    if (rows.some((r) => !r.healthy)) process.exitCode = 1;
  });

program
  .command('migrate')
  .description('apply pending Postgres migrations (sql/) and ClickHouse DDL (clickhouse/)')
  .addOption(new Option('--only <target>', 'one side only').choices(['postgres', 'clickhouse']))
  .action(async (opts: { only?: 'postgres' | 'clickhouse' }) => {
    const cfg = config();
    if (opts.only !== 'clickhouse') {
      const { createPostgres } = await import('./infra/postgres.ts');
      const { migratePostgres } = await import('./migrate/postgres.migrate.ts');
      const sql = createPostgres(cfg, { max: 1, applicationName: 'inflow-migrate' });
      try {
        const applied = await migratePostgres(sql);
        console.log(`postgres ${redactUrl(cfg.DATABASE_URL)}: ${applied.length ? applied.join(', ') : 'up to date'}`);
      } finally {
        await sql.end({ timeout: 5 });
      }
    }
    if (opts.only !== 'postgres') {
      const { createClickHouse } = await import('./infra/clickhouse.ts');
      const { migrateClickHouse } = await import('./migrate/clickhouse.migrate.ts');
      const ch = createClickHouse(cfg);
      try {
        const applied = await migrateClickHouse(ch, cfg.CLICKHOUSE_DATABASE);
        console.log(`clickhouse ${cfg.clickhouseMode}: ${applied.length ? applied.join(', ') : 'up to date'}`);
      } finally {
        await ch.close();
      }
    }
  });

program
  .command('start')
  .description('run inflow services in this process: edge, api, worker, sink, bulk, or all of them')
  .argument('[roles...]', 'edge | api | worker | sink | bulk | all', ['all'])
  .option('--concurrency <n>', 'worker: consumers in the pool', (v) => Number.parseInt(v, 10))
  .action(async (roles: string[], opts: { concurrency?: number }) => {
    const { startRoles } = await import('./app/start.ts');
    await startRoles(config(), roles, opts);
  });

const bench = program
  .command('bench')
  .description('load benchmark against a running inflow: scenarios ingest-single | ingest-batch | mixed | bulk | soak; JSON + HTML reports (bench/README.md)')
  .argument('<scenario>', 'ingest-single | ingest-batch | mixed | bulk | soak')
  .option('--url <url>', 'inflow to drive (default http://HTTP_HOST:HTTP_PORT)')
  .option('--duration <d>', 'how long to send, e.g. 60s, 5m (default 60s; soak 10m)')
  .option('--count <n>', 'events to send instead of a duration')
  .option('--rate <n>', 'fixed rate in events/s (default: closed loop, as fast as the connections go)')
  .option('--find-max', 'ramp fixed-rate steps until errors, latency or lag show the knee')
  .option('--step <d>', 'find-max step length (default 10s)')
  .option('--connections <n>', 'keep-alive connections (default 64 single, 16 batched)')
  .option('--tenants <n>', 'bench tenants (default 4)')
  .option('--keys-per-tenant <n>', 'API keys per tenant, round-robin (default 2; the edge limits each key)')
  .option('--cardinality <n>', 'distinct entities per tenant (default 1000000)')
  .option('--batch <n>', 'events per request (scenario default)')
  .option('--duplicates <share>', 'share of resent events, 0..0.99')
  .option('--invalid <share>', 'share of schema-invalid events, 0..0.99')
  .option('--ceilings <list>', 'http,broker,postgres,clickhouse or none (default all)')
  .option('--no-check', 'skip the exactly-once correctness check')
  .option('--drain-timeout <d>', 'how long to wait for the pipeline to catch up (default 120s)')
  .option('--bulk-contacts <n>', 'bulk scenario: contacts the bulk action covers (default 100000)')
  .option('--out <dir>', 'report folder (default bench/reports)')
  .option('--seed <n>', 'event generator seed')
  .option('--no-progress', 'no progress bar')
  .action(async (scenario: string, opts: Record<string, string | boolean | undefined>) => {
    const { benchCommand } = await import('./bench/bench.command.ts');
    const ok = await benchCommand(config(), scenario, opts, process.argv.slice(3));
    process.exit(ok ? 0 : 1); // kafkajs and postgres sockets may linger; the report is written
  });
bench
  .command('compare')
  .description('print the differences between two bench reports')
  .argument('<a>', 'baseline report (.json)')
  .argument('<b>', 'new report (.json)')
  .action(async (a: string, b: string) => {
    const { compareCommand } = await import('./bench/bench.command.ts');
    console.log(compareCommand(a, b));
  });

program
  .command('sql')
  .description('read-only SQL on the configured ClickHouse (tables: README, Analytics); e.g. inflow sql "SELECT status, count() FROM outcomes GROUP BY status"')
  .argument('<query>', 'one SELECT / WITH / SHOW / DESCRIBE / EXPLAIN statement')
  .addOption(new Option('--format <format>', 'output').choices(['table', 'csv', 'json']).default('table'))
  .option('--key <key>', 'admin API key, when a running inflow process owns the embedded chDB folder (default INFLOW_API_KEY)')
  .action(async (query: string, opts: { format: 'table' | 'csv' | 'json'; key?: string }) => {
    const { sqlCommand } = await import('./analytics/sql.command.ts');
    console.log(await sqlCommand(config(), query, opts));
  });

program
  .command('dlq')
  .description("the worker's dead letters: list [filters] | show <id> | replay [filters] (replay keeps event ids: replaying twice is harmless)")
  .argument('<action>', 'list | show | replay')
  .argument('[id]', 'show: the dead letter id')
  .option('--reason <reason>', 'e.g. no_consent, undecodable, apply_failed (matches apply_failed:<SQLSTATE>)')
  .option('--since <time>', 'ISO time or a duration back from now: 30m, 24h, 7d')
  .option('--event-id <id>', 'one event')
  .option('--tenant <tenant>', 'one tenant')
  .option('--limit <n>', 'at most this many (list default 100)')
  .option('--all', 'include letters already replayed (replay: send them again)')
  .option('--json', 'list: print JSON')
  .action(async (action: 'list' | 'show' | 'replay', id: string | undefined, opts: Record<string, string | boolean | undefined>) => {
    if (!['list', 'show', 'replay'].includes(action)) throw new Error(`unknown dlq action "${action}": list, show or replay`);
    const { dlqCommand } = await import('./pipeline/dlq.command.ts');
    console.log(await dlqCommand(config(), action, id, opts));
  });

// bulk actions (README: Bulk actions): an HTTP client of the bulk-actions API
(await import('./bulk/bulk.cli.ts')).registerBulkCommands(program.command('bulk').description('bulk actions over contacts: create, status, watch, cancel, revert, errors, list'));

// seed 002 webhook simulator (README: The ingestion edge)
program
  .command('simulate')
  .description('send signed test traffic: simulate webhooks --target URL --rate N --count M')
  .argument('<what>', 'webhooks')
  .requiredOption('--target <url>', 'e.g. http://127.0.0.1:3000/api/webhooks or .../v1/webhooks/<source>')
  .option('--rate <n>', 'deliveries per second', (v) => Number(v), 10)
  .option('--count <n>', 'deliveries to send', (v) => Number.parseInt(v, 10), 100)
  .option('--secret <secret>', 'signing secret (default: the first of ACME_WEBHOOK_SECRET)')
  .addOption(new Option('--scheme <scheme>', 'signature headers').choices(['acme', 'standard']).default('acme'))
  .option('--replay-ratio <share>', 'share of deliveries re-sent with the same id', (v) => Number(v), 0)
  .option('--no-progress', 'no progress bar')
  .action(async (what: string, opts: { target: string; rate: number; count: number; secret?: string; scheme: 'acme' | 'standard'; replayRatio: number; progress: boolean }) => {
    if (what !== 'webhooks') throw new Error(`unknown simulation "${what}": webhooks`);
    const secret = opts.secret ?? config().ACME_WEBHOOK_SECRET?.split(',')[0];
    if (!secret) throw new Error('no signing secret: pass --secret or set ACME_WEBHOOK_SECRET');
    const { simulateWebhooks } = await import('./edge/simulate.command.ts');
    const summary = await simulateWebhooks({ ...opts, secret });
    console.log(`\nsent ${summary.sent} in ${summary.seconds.toFixed(1)} s; by status: ${Object.entries(summary.byStatus).map(([s, n]) => `${s}=${n}`).join(' ')}; duplicates acknowledged: ${summary.duplicates}; p50 ${summary.p50Ms.toFixed(1)} ms, p99 ${summary.p99Ms.toFixed(1)} ms`);
    if (Object.keys(summary.byStatus).some((s) => !/^2/.test(s))) process.exitCode = 1;
  });

const keys = program.command('keys').description('per-tenant API keys');
keys
  .command('create')
  .description('create an API key for a tenant (creating the tenant if new); the key is printed once')
  .requiredOption('--tenant <tenant>', 'tenant id')
  .addOption(new Option('--scope <scope...>', 'scopes').choices(['ingest', 'read', 'write', 'admin']).default(['ingest']))
  .option('--name <name>', 'a label to recognise the key by')
  .action(async (opts: { tenant: string; scope: ('ingest' | 'read' | 'write' | 'admin')[]; name?: string }) => {
    const { createPostgres } = await import('./infra/postgres.ts');
    const { createApiKey } = await import('./accounts/api-keys.ts');
    const sql = createPostgres(config(), { max: 1, applicationName: 'inflow-keys' });
    try {
      const created = await createApiKey(sql, { tenantId: opts.tenant, scopes: opts.scope, name: opts.name });
      console.error(`key ${created.id} for tenant ${opts.tenant}, scopes ${opts.scope.join(',')}; store it now, it is not shown again:`);
      console.log(created.key);
    } finally {
      await sql.end({ timeout: 5 });
    }
  });

function printStatus(rows: { name: string; address: string; healthy: boolean; pid?: number; version?: string; detail?: string }[]): void {
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log('');
  for (const r of rows) {
    const mark = r.healthy ? '\u001b[32mhealthy\u001b[0m' : '\u001b[31mDOWN\u001b[0m   ';
    console.log(`  ${r.name.padEnd(width)}  ${mark}  ${r.address}${r.pid ? `  pid ${r.pid}` : ''}${r.version ? `  ${r.version}` : ''}${r.detail ? `  (${r.detail})` : ''}`);
  }
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  if (err instanceof ConfigError) {
    console.error(err.message);
    process.exit(2);
  }
  console.error(`inflow: ${(err as Error).message}`);
  process.exit(1);
}
