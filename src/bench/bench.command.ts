// The `inflow bench` commands: run a scenario (progress bar, summary, JSON + HTML reports) and compare two reports.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { PROJECT_ROOT, type Config } from '../config.ts';
import { parseBenchOptions, type RawBenchOptions } from './bench.options.ts';
import { runBench, type BenchProgress } from './bench.run.ts';
import { compareReports, formatComparison } from './compare.ts';
import { renderHtml } from './report.html.ts';
import type { BenchReport } from './report.ts';
import { formatSummary } from './summary.ts';

function progressBar(enabled: boolean): BenchProgress {
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(total, unit) {
      if (!enabled) return;
      bar = new cliProgress.SingleBar({
        format: `  {bar} {value}/{total} ${unit} | {rate} ev/s | p99 {p99} ms | errors {errors} | applied {applied} | outcomes {outcomes}`,
        hideCursor: true,
      }, cliProgress.Presets.shades_classic);
      bar.start(total, 0, { rate: 0, p99: 0, errors: 0, applied: 0, outcomes: 0 });
    },
    update(done, info) {
      bar?.update(done, info);
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
    log(line) {
      if (bar) bar.stop();
      console.log(`  ${line}`);
    },
  };
}

/** Writes <timestamp>-<scenario>.json and .html; returns their paths. */
export function writeReports(report: BenchReport, dir: string): { json: string; html: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = report.startedAt.replace(/[:.]/g, '-').replace(/-\d{3}Z$/, 'Z');
  const base = path.join(dir, `${stamp}-${report.scenario}`);
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2));
  writeFileSync(`${base}.html`, renderHtml(report));
  return { json: `${base}.json`, html: `${base}.html` };
}

export async function benchCommand(cfg: Config, scenario: string, raw: RawBenchOptions, argv: string[]): Promise<boolean> {
  const o = parseBenchOptions(scenario, raw, { url: `http://${cfg.HTTP_HOST}:${cfg.HTTP_PORT}`, outDir: path.join(PROJECT_ROOT, 'bench', 'reports') });
  const health = await fetch(`${o.url}/health`).catch(() => undefined);
  if (!health?.ok) throw new Error(`nothing answers ${o.url}/health: start inflow first (\`inflow start all\`) or pass --url`);
  const { status } = await import('../stack/stack.ts');
  const servicePids = (await status(cfg)).filter((s) => s.pid).map((s) => ({ name: s.name, pid: s.pid! }));
  const mode = o.findMax ? `find-max (steps of ${o.stepMs / 1000} s)` : o.rate ? `fixed rate ${o.rate} events/s` : `closed loop, ${o.connections} connections`;
  console.log(`inflow bench ${o.scenario} -> ${o.url}: ${mode}, ${o.count !== undefined ? `${o.count} events` : `${(o.durationMs ?? 0) / 1000} s`}, ${o.batch} per request, ${o.tenants} tenants x ${o.cardinality} entities`);
  const report = await runBench(cfg, o, { progress: progressBar(o.progress && process.stdout.isTTY), command: `inflow bench ${argv.join(' ')}`, servicePids });
  const files = writeReports(report, o.outDir);
  console.log(formatSummary(report));
  console.log(`\n  reports: ${path.relative(process.cwd(), files.json)}\n           ${path.relative(process.cwd(), files.html)}`);
  return report.correctness?.ok ?? true;
}

export function compareCommand(a: string, b: string): string {
  const ra = JSON.parse(readFileSync(a, 'utf8')) as BenchReport;
  const rb = JSON.parse(readFileSync(b, 'utf8')) as BenchReport;
  return formatComparison(ra, rb, compareReports(ra, rb));
}
