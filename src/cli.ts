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
    const result = await up(cfg, say);
    printStatus(await status(cfg));
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
    const rows = await status(config());
    if (opts.json) console.log(JSON.stringify(rows, null, 2));
    else printStatus(rows);
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
