// `inflow bulk create|status|watch|cancel|revert|errors|list`: a thin client of the bulk-actions HTTP API
// (INFLOW_API_URL / --url, INFLOW_API_KEY / --key), so it needs no database access and respects tenants and scopes.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { config } from '../config.ts';

interface Conn {
  url: string;
  key: string;
}

function conn(opts: { url?: string; key?: string }): Conn {
  const cfg = config();
  const key = opts.key ?? cfg.INFLOW_API_KEY;
  if (!key) throw new Error('no API key: pass --key or set INFLOW_API_KEY (create one with `inflow keys create --tenant T --scope read write`)');
  return { url: (opts.url ?? cfg.INFLOW_API_URL).replace(/\/$/, ''), key };
}

async function api<T>(c: Conn, method: string, route: string, body?: string | FormData, headers: Record<string, string> = {}): Promise<T> {
  const res = await fetch(`${c.url}/v1/bulk-actions${route}`, { method, body, headers: { authorization: `Bearer ${c.key}`, ...headers } });
  const text = await res.text();
  if (!res.ok) {
    let detail = text;
    try {
      const e = JSON.parse(text) as { error?: { message?: string; details?: { errors?: string[] } } };
      detail = [e.error?.message, ...(e.error?.details?.errors ?? []).map((x) => `  - ${x}`)].filter(Boolean).join('\n');
    } catch {
      /* not JSON: print as is */
    }
    throw new Error(`${method} ${route || '/'}: HTTP ${res.status}\n${detail}`);
  }
  return (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as T) : (text as T);
}

interface Stats {
  status: string;
  total: number | null;
  processed: number;
  succeeded: number;
  failed: number;
  skipped: number;
  percent: number;
  rate_per_sec: number;
  eta_seconds: number | null;
  rate_limit_budget_left: number | null;
}

const FINAL = ['completed', 'completed_with_errors', 'failed', 'cancelled'];
const print = (v: unknown) => console.log(JSON.stringify(v, null, 2));

export function registerBulkCommands(bulk: Command): void {
  const withConn = (cmd: Command) => cmd.option('--url <url>', 'API base URL (default INFLOW_API_URL)').option('--key <key>', 'API key (default INFLOW_API_KEY)');

  withConn(bulk.command('create'))
    .description('create a bulk action over contacts; prints it (or the dry-run result)')
    .requiredOption('--action <action>', 'update | delete | restore | tag | untag | assign_owner')
    .option('--filter <json>', 'target filter, e.g. \'{"field":"country","op":"eq","value":"FR"}\'')
    .option('--ids <ids>', 'comma-separated contact ids')
    .option('--csv <file>', 'CSV file of contact ids (column id or contact_id, else the first)')
    .option('--set <field=value...>', 'update: fields to set')
    .option('--tags <tags>', 'tag/untag: comma-separated tags')
    .option('--owner <owner>', 'assign_owner: the new owner id')
    .option('--scheduled-at <iso>', 'start at this time')
    .option('--rate <n>', 'rate limit, contacts per second')
    .option('--dry-run', 'count the matches and show a sample; change nothing')
    .option('--idempotency-key <key>', 'the same key returns the same action')
    .action(async (o: Record<string, string | string[] | boolean | undefined> & { url?: string; key?: string }) => {
      const c = conn(o);
      const payload: Record<string, unknown> = {};
      if (o.set) payload.fields = Object.fromEntries((o.set as string[]).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      if (o.tags) payload.tags = String(o.tags).split(',').map((t) => t.trim());
      if (o.owner) payload.owner_id = o.owner;
      const spec: Record<string, unknown> = { entity: 'contacts', action: o.action, payload };
      if (o.scheduledAt) spec.scheduled_at = o.scheduledAt;
      if (o.rate) spec.rate_limit_per_sec = Number(o.rate);
      if (o.dryRun) spec.dry_run = true;
      const headers: Record<string, string> = o.idempotencyKey ? { 'idempotency-key': String(o.idempotencyKey) } : {};
      if (o.csv) {
        const form = new FormData();
        form.set('file', new Blob([readFileSync(String(o.csv))], { type: 'text/csv' }), path.basename(String(o.csv)));
        form.set('request', JSON.stringify(spec));
        print(await api(c, 'POST', '', form, headers));
        return;
      }
      spec.target = o.filter ? { filter: JSON.parse(String(o.filter)) as unknown } : { ids: String(o.ids ?? '').split(',').filter(Boolean) };
      print(await api(c, 'POST', '', JSON.stringify(spec), { 'content-type': 'application/json', ...headers }));
    });

  withConn(bulk.command('status'))
    .description('stats of a bulk action (counts from the Postgres chunk ledger)')
    .argument('<id>')
    .action(async (id: string, o: { url?: string; key?: string }) => print(await api(conn(o), 'GET', `/${id}/stats`)));

  withConn(bulk.command('list'))
    .description('recent bulk actions of your tenant')
    .option('--status <status>', 'only this status')
    .action(async (o: { url?: string; key?: string; status?: string }) => print(await api(conn(o), 'GET', o.status ? `?status=${encodeURIComponent(o.status)}` : '')));

  withConn(bulk.command('cancel'))
    .description('cancel: no new chunks start; prints the partial result')
    .argument('<id>')
    .action(async (id: string, o: { url?: string; key?: string }) => print(await api(conn(o), 'POST', `/${id}/cancel`)));

  withConn(bulk.command('revert'))
    .description('restore what a finished bulk action changed, as a new bulk action')
    .argument('<id>')
    .action(async (id: string, o: { url?: string; key?: string }) => print(await api(conn(o), 'POST', `/${id}/revert`)));

  withConn(bulk.command('errors'))
    .description('failed contacts with their reasons (CSV)')
    .argument('<id>')
    .action(async (id: string, o: { url?: string; key?: string }) => {
      process.stdout.write(await api<string>(conn(o), 'GET', `/${id}/errors?format=csv`));
    });

  withConn(bulk.command('watch'))
    .description('a live progress bar with rate and ETA until the action finishes')
    .argument('<id>')
    .option('--interval <ms>', 'poll interval', '500')
    .action(async (id: string, o: { url?: string; key?: string; interval: string }) => {
      const c = conn(o);
      const { SingleBar, Presets } = await import('cli-progress');
      const bar = new SingleBar(
        { format: ' {bar} {percentage}% | {value}/{total} | {rate}/s | ETA {eta_s} | ok {succeeded} failed {failed} skipped {skipped} | {status}', hideCursor: true },
        Presets.shades_classic,
      );
      let s = await api<Stats>(c, 'GET', `/${id}/stats`);
      bar.start(s.total ?? 0, s.processed, { rate: 0, eta_s: '-', succeeded: 0, failed: 0, skipped: 0, status: s.status });
      for (;;) {
        bar.setTotal(s.total ?? 0);
        bar.update(s.processed, { rate: s.rate_per_sec, eta_s: s.eta_seconds === null ? '-' : `${s.eta_seconds}s`, succeeded: s.succeeded, failed: s.failed, skipped: s.skipped, status: s.status });
        if (FINAL.includes(s.status) && (s.total === null || s.processed >= s.total || s.status !== 'cancelled')) break;
        await new Promise((r) => setTimeout(r, Number(o.interval)));
        s = await api<Stats>(c, 'GET', `/${id}/stats`);
      }
      bar.stop();
      console.log(`${s.status}: ${s.succeeded} succeeded, ${s.failed} failed, ${s.skipped} skipped`);
      if (s.status === 'failed' || s.status === 'completed_with_errors') process.exitCode = 1;
    });
}
