// The environment, read once, validated once, typed.
// Nothing else in inflow reads process.env: modules receive the keys they need (Pick<Config, ...>).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const port = z.coerce.number().int().min(1).max(65535);
const positiveInt = z.coerce.number().int().positive();

/** Every variable inflow reads, with its default. The README's config table mirrors this object. */
const EnvSchema = z.object({
  INFLOW_HOME: z.string().min(1).default(path.join(PROJECT_ROOT, '.inflow')),
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),

  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: port.default(3000),

  KAFKA_BROKERS: z.string().min(1).default('127.0.0.1:9092'),
  KAFKA_CONTROLLER_PORT: port.default(9093),
  KAFKA_CLIENT_ID: z.string().min(1).default('inflow'),
  KAFKA_TOPIC_PREFIX: z.string().regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, ".", "_" and "-" only').default(''),
  KAFKA_HEAP: z.string().regex(/^\d+[mg]$/, 'a JVM size such as 512m or 1g').default('768m'),

  SCHEMA_REGISTRY_URL: z.string().url().default('http://127.0.0.1:8081/apis/ccompat/v7'),

  DATABASE_URL: z.string().url().default('postgres://inflow:inflow@127.0.0.1:5432/inflow'),
  DATABASE_POOL_MAX: positiveInt.default(10),

  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379/0'),

  CLICKHOUSE_URL: z.string().url().optional(),
  CLICKHOUSE_DATABASE: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).default('inflow'),
  CHDB_PATH: z.string().min(1).optional(),

  OTEL_TRACES_EXPORTER: z.enum(['none', 'console', 'otlp']).default('none'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('inflow'),

  // edge (README: The ingestion edge)
  HTTP_HEADERS_TIMEOUT_MS: positiveInt.default(10_000), // slow-loris: a client gets 10 s to send its headers
  HTTP_REQUEST_TIMEOUT_MS: positiveInt.default(30_000), // and 30 s for the whole request
  EDGE_MAX_BODY_BYTES: positiveInt.default(1_048_576), // 1 MiB per request, after gzip decompression
  EDGE_MAX_BATCH_EVENTS: positiveInt.default(500), // events per POST /v1/events
  EDGE_PRODUCE_TIMEOUT_MS: positiveInt.default(5_000), // past this a request answers 503 (never 2xx)
  EDGE_LINGER_MS: z.coerce.number().int().min(0).default(2), // concurrent requests share one produce batch
  EDGE_BATCH_MAX_MESSAGES: positiveInt.default(2_000), // flush a produce batch early at this many messages
  EDGE_PRODUCERS: positiveInt.max(16).default(1), // idempotent producers, one batch in flight each (kafkajs allows one per producer); 1 per process measured best on 2 cores (README)
  EDGE_PROCESSES: positiveInt.max(64).default(1), // `inflow start edge` processes sharing HTTP_PORT (node:cluster); 1 = this process
  EDGE_IDEMPOTENCY_TTL_S: positiveInt.default(86_400), // edge dedup window (the worker's window is the truth)
  EDGE_RATE_LIMIT_PER_S: positiveInt.default(1_000), // requests per second per API key (GCRA)
  EDGE_RATE_LIMIT_BURST: positiveInt.default(2_000), // requests a key may send at once
  WEBHOOK_TOLERANCE_S: positiveInt.default(300), // signed webhooks older or newer than 5 min are refused
  LEAD_CAPTURE_TENANT: z.string().min(1).optional(), // POST /api/lead without Authorization goes to this tenant
  ACME_WEBHOOK_SECRET: z.string().min(1).optional(), // seed 002 signing secret(s), comma-separated during rotation
  ACME_WEBHOOK_TENANT: z.string().min(1).default('acme'), // tenant that AcmeCRM webhooks belong to

  // accounts (README: Accounts): HS256 key for access tokens; required in production, a loud default in development
  JWT_SECRET: z.string().min(32, 'at least 32 characters (HS256 key)').optional(),
  JWT_ACCESS_TTL_SECONDS: positiveInt.default(900), // 15 min: a stolen access token is useful briefly; refresh rotates
  JWT_REFRESH_TTL_SECONDS: positiveInt.default(1_209_600), // 14 days per login session
  API_RATE_LIMIT_PER_MINUTE: positiveInt.default(600), // per account across the api role's routes
  API_BODY_LIMIT_BYTES: positiveInt.default(65_536), // one contact is a few KB; larger bodies are 413

  // bulk actions (README: Bulk actions)
  BULK_CHUNK_SIZE: positiveInt.max(10_000).default(500), // ids per chunk = per executor transaction; 500: slowest chunk tx <= 648 ms on 1M contacts beside ingest (1000: 900 ms)
  BULK_RATE_LIMIT_PER_SEC: positiveInt.default(20_000), // per-account ceiling shared by all executors; an action may ask for less
  BULK_PLANNER_INTERVAL_MS: positiveInt.default(500), // how often a planner looks for queued / due actions (cancel latency too)
  BULK_EXECUTOR_CONCURRENCY: positiveInt.max(6).default(2), // chunks applied in parallel per process (crm.bulk.chunks has 6 partitions)
  BULK_YIELD_INGEST_LAG: z.coerce.number().int().min(0).default(2_000), // executors pause (<= 2 s a chunk) while the worker group lags more events than this; 0 = never
  BULK_UPLOAD_MAX_BYTES: positiveInt.default(200 * 1024 * 1024), // CSV target uploads: ~5M ids of 36 characters
  BULK_TEST_FAULT: z.string().regex(/^(kill_in_tx|kill_after_commit|kill_in_plan):\d+$/).optional(), // tests only: SIGKILL self at the Nth chunk (kill_in_plan: Nth planner send)
  INFLOW_API_URL: z.string().url().default('http://127.0.0.1:3000'), // `inflow bulk` talks to this API
  INFLOW_API_KEY: z.string().min(1).optional(), // `inflow bulk` credential when --key is not given

  // outcomes sink and analytics (README: Analytics)
  SINK_MAX_ROWS: positiveInt.default(10_000), // ClickHouse wants few large inserts: flush at 10k rows...
  SINK_MAX_WAIT_MS: positiveInt.default(1_000), // ...or after 1 s, whichever comes first
  SINK_GROUP_ID: z.string().min(1).optional(), // consumer group of the sink; default <KAFKA_TOPIC_PREFIX>inflow-sink
  SINK_TEST_FAULT: z.string().regex(/^kill_after_insert:\d+$/).optional(), // tests only: SIGKILL self after the Nth insert, before its commit
  ANALYTICS_RETENTION_DAYS: positiveInt.optional(), // when set, the sink sets this TTL on outcomes and the views at start
  ANALYTICS_SQL_ENDPOINT: z.enum(['on', 'off']).default('off'), // POST /v1/admin/sql for `inflow sql` in embedded mode (cross-tenant: admin keys only)

  // worker pool (README: The worker pool)
  WORKER_CONCURRENCY: positiveInt.max(6).default(2), // consumers in the pool when --concurrency is not given (crm.events has 6 partitions)
  WORKER_POOL: z.enum(['processes', 'inline']).default('processes'), // processes: one OS process per consumer, supervised; inline: all consumers in this process
  WORKER_PARTITIONS_PER_CONSUMER: positiveInt.max(6).default(3), // a consumer's partitions processed at once: one's batch waits on Postgres or the broker while another's runs
  WORKER_BATCH_SIZE: positiveInt.max(5_000).default(500), // events per Postgres transaction (DEFAULT_BATCH_SIZE in src/pipeline/worker.ts says why 500)
  WORKER_FETCH_MIN_BYTES: positiveInt.max(10_485_760).default(65_536), // the broker holds a fetch until this much is there...
  WORKER_FETCH_MAX_WAIT_MS: positiveInt.max(5_000).default(100), // ...or this long: under load batches fill, idle adds <= this latency
  WORKER_GROUP_ID: z.string().min(1).optional(), // consumer group; default <KAFKA_TOPIC_PREFIX>inflow-worker
  WORKER_MODE: z.enum(['exactly-once', 'at-least-once']).default('exactly-once'), // at-least-once: no Redis, no processed_events; only to measure what exactly-once costs (bench/pipeline)
  WORKER_GEOIP: z.enum(['on', 'off']).default('on'), // IP -> country/city with geoip-lite (~100 MB of memory)
  DEDUP_WINDOW_DAYS: positiveInt.max(90).default(7), // processed_events partitions and Redis marks are kept this long (= crm.events retention)
  INFLOW_FAULT_POINT: z.enum(['after_pg_commit', 'after_redis_write', 'after_produce']).optional(), // tests only: the worker SIGKILLs itself there

}).superRefine((e, ctx) => {
  if (e.NODE_ENV === 'production' && !e.JWT_SECRET) ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: 'required when NODE_ENV=production' });
});

export type Env = z.infer<typeof EnvSchema>;

/** The names of every variable inflow reads (the README's table and compose.yaml are checked against it). */
export const CONFIG_VARIABLES = Object.keys(EnvSchema.shape);

export interface Config extends Env {
  /** Data, logs, pid files and downloaded services; git-ignored. */
  dataDir: string;
  chdbPath: string;
  clickhouseMode: 'embedded' | 'server';
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses an environment; reports every bad variable at once, each by name. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset" so `FOO= inflow up` falls back to the default.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = EnvSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message} (got ${JSON.stringify(cleaned[String(issue.path[0])] ?? '')})`),
    );
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.INFLOW_HOME);
  return {
    ...e,
    dataDir,
    chdbPath: path.resolve(e.CHDB_PATH ?? path.join(dataDir, 'data', 'chdb')),
    clickhouseMode: e.CLICKHOUSE_URL ? 'server' : 'embedded',
  };
}

let cached: Config | undefined;

/** The process-wide config, parsed on first use. */
export function config(): Config {
  cached ??= loadConfig();
  return cached;
}

/** Host and port of a URL or host:port string, for the local stack and the port checks. */
export function hostPort(address: string, defaultPort: number): { host: string; port: number } {
  const withScheme = address.includes('://') ? address : `tcp://${address}`;
  const url = new URL(withScheme);
  return { host: url.hostname, port: url.port ? Number(url.port) : defaultPort };
}

/** A URL with its password replaced, safe to print. */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable url>';
  }
}
