// `inflow bench <scenario>` options, validated up front with messages that say how to fix them. Pure.
import { SCENARIOS, SCENARIO_DEFAULTS, type ScenarioName } from './scenarios.ts';
import { parseDuration } from './stats.ts';

export const CEILINGS = ['http', 'broker', 'postgres', 'clickhouse'] as const;
export type CeilingName = (typeof CEILINGS)[number];

export interface RawBenchOptions {
  url?: string;
  duration?: string;
  count?: string;
  rate?: string;
  findMax?: boolean;
  step?: string;
  connections?: string;
  tenants?: string;
  keysPerTenant?: string;
  cardinality?: string;
  batch?: string;
  duplicates?: string;
  invalid?: string;
  ceilings?: string;
  check?: boolean;
  drainTimeout?: string;
  out?: string;
  bulkContacts?: string;
  progress?: boolean;
  seed?: string;
}

export interface BenchOptions {
  scenario: ScenarioName;
  url: string;
  durationMs: number | undefined;
  /** events to send (then stop), instead of a duration */
  count: number | undefined;
  /** events/s; undefined = closed-loop max */
  rate: number | undefined;
  findMax: boolean;
  stepMs: number;
  connections: number;
  tenants: number;
  keysPerTenant: number;
  cardinality: number;
  batch: number;
  duplicateShare: number;
  invalidShare: number;
  ceilings: CeilingName[];
  check: boolean;
  drainTimeoutMs: number;
  outDir: string;
  bulkContacts: number;
  progress: boolean;
  seed: number;
}

export function parseBenchOptions(scenario: string, raw: RawBenchOptions, defaults: { url: string; outDir: string }): BenchOptions {
  const problems: string[] = [];
  if (!(SCENARIOS as readonly string[]).includes(scenario)) problems.push(`scenario "${scenario}": choose one of ${SCENARIOS.join(', ')}`);
  const d = SCENARIO_DEFAULTS[scenario as ScenarioName] ?? SCENARIO_DEFAULTS['ingest-batch'];
  const int = (name: string, v: string | undefined, dflt: number, min = 1) => {
    if (v === undefined) return dflt;
    const n = Number(v.replace(/_/g, ''));
    if (!Number.isInteger(n) || n < min) problems.push(`--${name} ${v}: must be an integer >= ${min}`);
    return n;
  };
  const share = (name: string, v: string | undefined, dflt: number) => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!(n >= 0 && n < 1)) problems.push(`--${name} ${v}: a share from 0 to 0.99`);
    return n;
  };
  const dur = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    try {
      return parseDuration(v);
    } catch (err) {
      problems.push(`--${name}: ${(err as Error).message}`);
      return undefined;
    }
  };
  const count = raw.count === undefined ? undefined : int('count', raw.count, 0);
  if (raw.duration !== undefined && count !== undefined) problems.push('--duration and --count: give one of them');
  const batch = int('batch', raw.batch, d.batch);
  if (batch > 500) problems.push(`--batch ${batch}: the edge takes at most 500 events per request (EDGE_MAX_BATCH_EVENTS)`);
  const ceilings = (raw.ceilings ?? CEILINGS.join(',')).split(',').map((s) => s.trim()).filter((s) => s && s !== 'none');
  for (const c of ceilings) if (!(CEILINGS as readonly string[]).includes(c)) problems.push(`--ceilings ${c}: choose from ${CEILINGS.join(', ')} or none`);
  const options: BenchOptions = {
    scenario: scenario as ScenarioName,
    url: (raw.url ?? defaults.url).replace(/\/$/, ''),
    durationMs: count !== undefined ? undefined : (dur('duration', raw.duration) ?? (raw.findMax ? 300_000 : d.durationMs)),
    count,
    rate: raw.rate === undefined ? d.rate : int('rate', raw.rate, 0),
    findMax: !!raw.findMax,
    stepMs: dur('step', raw.step) ?? 10_000,
    // single events need many requests in flight; 100-event batches reach the same events/s with few
    connections: int('connections', raw.connections, batch === 1 ? 64 : 16),
    tenants: int('tenants', raw.tenants, 4),
    // the edge rate-limits per key (EDGE_RATE_LIMIT_PER_S, 1000 req/s by default): 8 keys allow 8000 req/s
    keysPerTenant: int('keys-per-tenant', raw.keysPerTenant, 2),
    cardinality: int('cardinality', raw.cardinality, 1_000_000),
    batch,
    duplicateShare: share('duplicates', raw.duplicates, d.duplicateShare),
    invalidShare: share('invalid', raw.invalid, d.invalidShare),
    ceilings: ceilings as CeilingName[],
    check: raw.check !== false,
    drainTimeoutMs: dur('drain-timeout', raw.drainTimeout) ?? 120_000,
    outDir: raw.out ?? defaults.outDir,
    bulkContacts: int('bulk-contacts', raw.bulkContacts, 100_000),
    progress: raw.progress !== false,
    seed: int('seed', raw.seed, 42, 0),
  };
  if (options.findMax && raw.rate === undefined) options.rate = undefined; // with --find-max, --rate is the first step
  if (problems.length) throw new Error(`inflow bench: invalid options\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  return options;
}
