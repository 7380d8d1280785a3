// The bulk-actions API: /v1/bulk-actions and the seed 004 compatibility routes /bulk-actions (same handlers).
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { v7 as uuidv7 } from 'uuid';
import { createApiKeyVerifier, type ApiKeyVerifier } from '../accounts/api-keys.ts';
import { authenticate, type TokenVerifier } from '../accounts/auth.middleware.ts';
import type { Config } from '../config.ts';
import type { ClickHouseClient } from '../infra/clickhouse.ts';
import type { Logger } from '../infra/logger.ts';
import type { Sql } from '../infra/postgres.ts';
import { decide, describeChange, type ContactRow } from './actions.ts';
import { actionJson, cancelAction, createAction, failedContacts, FINAL_STATUSES, getAction, ledgerTotals, listActions, STATUSES } from './bulk.repository.ts';
import { parseCreateRequest, parseCsvIds, type CreateRequest } from './bulk.request.ts';
import { compileFilter, deletedCondition } from './filter.compile.ts';
import type { RateLimiter } from './rate-limit.ts';
import { computeStats } from './stats.ts';

export interface BulkRouterDeps {
  sql: Sql;
  limiter: RateLimiter;
  /** The process's ClickHouse client, opened on first use (logs only). */
  clickhouse: () => ClickHouseClient;
  cfg: Pick<Config, 'BULK_CHUNK_SIZE' | 'BULK_RATE_LIMIT_PER_SEC' | 'BULK_UPLOAD_MAX_BYTES' | 'CLICKHOUSE_DATABASE'>;
  logger: Logger;
  apiKeys?: ApiKeyVerifier;
  tokens?: TokenVerifier;
}

class BulkApiError extends HTTPException {
  constructor(status: ContentfulStatusCode, readonly code: string, message: string, readonly details: Record<string, unknown> = {}) {
    super(status, { message });
  }
}

const invalid = (errors: string[]) => new BulkApiError(400, 'VALIDATION_ERROR', `invalid bulk action: ${errors.length} problem(s)`, { errors });
const SAMPLE_SIZE = 5; // dry-run sample: enough to eyeball the change

export function createBulkRouter(deps: BulkRouterDeps): Hono {
  const { sql, cfg, limiter } = deps;
  const log = deps.logger.child({ module: 'bulk.api' });
  const apiKeys = deps.apiKeys ?? createApiKeyVerifier(sql);
  const read = authenticate({ apiKeys, tokens: deps.tokens, scope: 'read' });
  const write = authenticate({ apiKeys, tokens: deps.tokens, scope: 'write' });
  const app = new Hono();

  app.onError((err, c) => {
    const status = (err instanceof HTTPException ? err.status : 500) as ContentfulStatusCode;
    if (status >= 500) log.error({ err }, 'bulk api error');
    const code = err instanceof BulkApiError ? err.code : status === 401 ? 'UNAUTHENTICATED' : status === 403 ? 'FORBIDDEN' : status === 413 ? 'BODY_TOO_LARGE' : 'ERROR';
    const message = status >= 500 ? 'internal error' : err.message;
    return c.json({ error: { message, status, code, details: err instanceof BulkApiError ? err.details : {} } }, status);
  });

  const tenantOf = (c: Context) => c.get('principal').tenantId;
  const principalId = (c: Context) => {
    const p = c.get('principal');
    return p.kind === 'api_key' ? `api_key:${p.keyId}` : `user:${p.userId}`;
  };
  const mustGet = async (c: Context) => {
    const a = await getAction(sql, tenantOf(c), c.req.param('id') ?? '');
    if (!a) throw new BulkApiError(404, 'NOT_FOUND', 'no such bulk action');
    return a;
  };

  async function dryRun(tenantId: string, req: CreateRequest) {
    let count: number;
    let sampleIds: string[];
    if ('filter' in req.target) {
      const compiled = compileFilter(req.target.filter, 2);
      if (!compiled.ok) throw invalid(compiled.errors);
      const where = `c.tenant_id = $1 and ${deletedCondition(req.action, compiled.filter)} and ${compiled.filter.text}`;
      const params = [tenantId, ...(compiled.filter.params as never[])];
      const [n] = await sql.unsafe<{ n: number }[]>(`select count(*)::int as n from contacts c where ${where} -- bulk.dryRunCount`, params);
      count = n!.n;
      sampleIds = (await sql.unsafe<{ id: string }[]>(`select c.id from contacts c where ${where} order by c.id limit ${SAMPLE_SIZE} -- bulk.dryRunSample`, params)).map((r) => r.id);
    } else {
      const ids = 'ids' in req.target ? req.target.ids : req.target.csv.ids;
      const [n] = await sql<{ n: number }[]>`select count(*)::int as n from contacts where tenant_id = ${tenantId} and id = any(${ids}) -- bulk.dryRunIds`;
      count = n!.n;
      sampleIds = ids.slice(0, SAMPLE_SIZE);
    }
    const rows = await sql<ContactRow[]>`select * from contacts where tenant_id = ${tenantId} and id = any(${sampleIds}) -- bulk.dryRunRows`;
    const byId = new Map(rows.map((r) => [r.id, { ...r, version: Number(r.version), deleted_at: r.deleted_at ? new Date(r.deleted_at).toISOString() : null }]));
    const now = new Date().toISOString();
    const sample = sampleIds.map((id) => {
      const d = decide(req.action, req.payload, id, byId.get(id), now);
      return d.kind === 'skip' ? { id, skipped: d.reason } : { id, before: d.before, after: d.set };
    });
    return { dry_run: true, action: req.action, matched: count, change: describeChange(req.action, req.payload), sample };
  }

  async function create(c: Context) {
    const tenantId = tenantOf(c);
    let body: unknown;
    let csv: { ids: string[]; rows: number[]; filename: string } | undefined;
    const type = c.req.header('content-type') ?? '';
    if (type.startsWith('multipart/form-data')) {
      const form = await c.req.parseBody();
      const file = form.file;
      if (!(file instanceof File)) throw invalid(['file: a multipart upload needs a CSV part named "file"']);
      const parsed = parseCsvIds(await file.text());
      if (!parsed.ok) throw invalid(parsed.errors);
      csv = { ids: parsed.ids, rows: parsed.rows, filename: file.name };
      const fields = typeof form.request === 'string' ? form.request : '{}';
      try {
        body = JSON.parse(fields);
      } catch {
        throw invalid(['request: the "request" part must be the JSON of the other fields (entity, action, payload, ...)']);
      }
      for (const k of ['entity', 'action', 'scheduled_at', 'rate_limit_per_sec', 'dry_run'] as const) if (typeof form[k] === 'string') (body as Record<string, unknown>)[k] = form[k];
      if (typeof form.payload === 'string') (body as Record<string, unknown>).payload = JSON.parse(form.payload) as unknown;
    } else {
      body = await c.req.json().catch(() => {
        throw invalid(['(body): not valid JSON']);
      });
    }
    const parsed = parseCreateRequest(body, csv);
    if (!parsed.ok) throw invalid(parsed.errors);
    const req = parsed.value;
    if (req.dryRun) return c.json(await dryRun(tenantId, req), 200);

    const key = c.req.header('idempotency-key') ?? null;
    if (key !== null && (key.length === 0 || key.length > 200)) throw invalid(['Idempotency-Key: must be 1 to 200 characters']);
    const rate = req.rateLimitPerSec;
    // a chunk is at most a quarter second of the action's rate budget, so the limit holds smoothly
    const chunkSize = Math.max(1, Math.min(cfg.BULK_CHUNK_SIZE, rate ? Math.ceil(rate / 4) : Infinity));
    const explicit = 'ids' in req.target ? { ids: req.target.ids, rows: req.target.ids.map((_, i) => i + 1) } : 'csv' in req.target ? req.target.csv : undefined;
    const target =
      'filter' in req.target ? { filter: req.target.filter } : 'ids' in req.target ? { ids: req.target.ids.length } : { csv: { rows: req.target.csv.ids.length, filename: req.target.csv.filename } };
    const { row, created } = await createAction(
      sql,
      {
        id: uuidv7(),
        tenantId,
        idempotencyKey: key,
        action: req.action,
        target,
        payload: req.payload as Record<string, unknown>,
        status: req.scheduledAt && req.scheduledAt.getTime() > Date.now() ? 'scheduled' : 'queued',
        scheduledAt: req.scheduledAt,
        rateLimitPerSec: rate,
        revertsId: null,
        chunkSize,
        createdBy: principalId(c),
      },
      explicit,
    );
    if (created) log.info({ tenant_id: tenantId, bulk_action_id: row.id, action: row.action }, 'bulk action created');
    c.header('Location', `/v1/bulk-actions/${row.id}`);
    return c.json(actionJson(row), created ? 201 : 200);
  }

  const limit = (v: string | undefined, dflt: number, max: number) => Math.min(max, Math.max(1, Number.parseInt(v ?? '', 10) || dflt));

  for (const base of ['/v1/bulk-actions', '/bulk-actions']) {
    app.post(base, write, bodyLimit({ maxSize: cfg.BULK_UPLOAD_MAX_BYTES }), create);

    app.get(base, read, async (c) => {
      const status = c.req.query('status');
      if (status && !(STATUSES as readonly string[]).includes(status)) throw invalid([`status: must be one of ${STATUSES.join(', ')}`]);
      const rows = await listActions(sql, tenantOf(c), { status, limit: limit(c.req.query('limit'), 50, 500), before: c.req.query('before') });
      return c.json({ data: rows.map(actionJson), next_before: rows.length ? rows[rows.length - 1]!.id : null });
    });

    app.get(`${base}/:id`, read, async (c) => {
      const a = await mustGet(c);
      const totals = await ledgerTotals(sql, a.tenant_id, a.id);
      return c.json({ ...actionJson(a), counts: { succeeded: totals.succeeded, failed: totals.failed, skipped: totals.skipped } });
    });

    app.get(`${base}/:id/stats`, read, async (c) => {
      const a = await mustGet(c);
      const totals = await ledgerTotals(sql, a.tenant_id, a.id);
      const rate = Math.min(a.rate_limit_per_sec ?? Infinity, cfg.BULK_RATE_LIMIT_PER_SEC);
      const budget = await limiter.budgetLeft(a.tenant_id, rate).catch(() => null);
      const stats = computeStats(a, totals, { now: new Date(), rateLimitPerSec: rate, budgetLeft: budget });
      if (c.req.query('verify') !== 'clickhouse') return c.json(stats);
      // cross-check against the outcome log; it lags the ledger by the sink's flush interval
      const clickhouse = await deps
        .clickhouse()
        .query({
          query: `SELECT status, count() AS n FROM ${cfg.CLICKHOUSE_DATABASE}.outcomes FINAL
                  WHERE tenant_id = {tenant:String} AND bulk_action_id = {id:String} GROUP BY status -- bulk.statsVerify`,
          query_params: { tenant: a.tenant_id, id: a.id },
          format: 'JSONEachRow',
        })
        .then(async (r) => Object.fromEntries((await r.json<{ status: string; n: number }>()).map((x) => [x.status, Number(x.n)])))
        .catch(() => ({ error: 'ClickHouse unavailable' }));
      return c.json({ ...stats, clickhouse });
    });

    app.get(`${base}/:id/logs`, read, async (c) => {
      const a = await mustGet(c);
      const status = c.req.query('status');
      if (status && !['succeeded', 'failed', 'skipped'].includes(status)) throw invalid(['status: must be succeeded, failed or skipped']);
      const pageSize = limit(c.req.query('limit'), 100, 1000);
      const after = c.req.query('after') ?? '';
      let rows: unknown[];
      try {
        const result = await deps.clickhouse().query({
          query: `SELECT entity_id AS contact_id, status, reason, entity_version AS version, attempt, processed_at
                  FROM ${cfg.CLICKHOUSE_DATABASE}.outcomes FINAL
                  WHERE tenant_id = {tenant:String} AND bulk_action_id = {id:String} AND entity_id > {after:String}
                    AND ({status:String} = '' OR status = {status:String})
                  ORDER BY entity_id LIMIT {limit:UInt32} -- bulk.logs`,
          query_params: { tenant: a.tenant_id, id: a.id, after, status: status ?? '', limit: pageSize },
          format: 'JSONEachRow',
        });
        rows = await result.json();
      } catch (err) {
        log.warn({ err, bulk_action_id: a.id }, 'bulk logs: ClickHouse unavailable');
        throw new BulkApiError(503, 'CLICKHOUSE_UNAVAILABLE', 'the outcome log (ClickHouse) is unavailable; stats and errors come from Postgres and still work');
      }
      const last = rows[rows.length - 1] as { contact_id?: string } | undefined;
      return c.json({ data: rows, next_after: rows.length === pageSize ? (last?.contact_id ?? null) : null });
    });

    app.get(`${base}/:id/errors`, read, async (c) => {
      const a = await mustGet(c);
      const rows = await failedContacts(sql, a.tenant_id, a.id, limit(c.req.query('limit'), 100_000, 1_000_000));
      if (c.req.query('format') === 'csv') {
        const esc = (v: unknown) => `"${String(v ?? '').replace(/"/g, '""')}"`;
        const lines = ['row_no,contact_id,reason', ...rows.map((r) => [r.row_no ?? '', r.contact_id, r.reason].map(esc).join(','))];
        c.header('Content-Disposition', `attachment; filename="bulk-${a.id}-errors.csv"`);
        return c.body(`${lines.join('\n')}\n`, 200, { 'content-type': 'text/csv; charset=utf-8' });
      }
      return c.json({ data: rows.map((r) => ({ row_no: r.row_no === null ? null : Number(r.row_no), contact_id: r.contact_id, reason: r.reason })) });
    });

    app.post(`${base}/:id/cancel`, write, async (c) => {
      const a = await mustGet(c);
      const cancelled = await cancelAction(sql, a.tenant_id, a.id);
      if (!cancelled) throw new BulkApiError(409, 'ALREADY_FINISHED', `bulk action is already ${a.status}`, { status: a.status });
      log.info({ tenant_id: a.tenant_id, bulk_action_id: a.id }, 'bulk action cancelled');
      const totals = await ledgerTotals(sql, a.tenant_id, a.id);
      return c.json({ ...actionJson(cancelled), counts: { succeeded: totals.succeeded, failed: totals.failed, skipped: totals.skipped } });
    });

    app.post(`${base}/:id/revert`, write, async (c) => {
      const src = await mustGet(c);
      if (!(FINAL_STATUSES as readonly string[]).includes(src.status)) {
        throw new BulkApiError(409, 'NOT_FINISHED', `bulk action is ${src.status}: cancel it or wait for it to finish before reverting`);
      }
      const { row, created } = await createAction(sql, {
        id: uuidv7(),
        tenantId: src.tenant_id,
        idempotencyKey: c.req.header('idempotency-key') ?? `revert:${src.id}`, // one revert per action unless a new key is given
        action: 'revert',
        target: { revert_of: src.id },
        payload: {},
        status: 'queued',
        scheduledAt: null,
        rateLimitPerSec: src.rate_limit_per_sec,
        revertsId: src.id,
        chunkSize: src.chunk_size,
        createdBy: principalId(c),
      });
      c.header('Location', `/v1/bulk-actions/${row.id}`);
      return c.json(actionJson(row), created ? 201 : 200);
    });
  }
  return app;
}
