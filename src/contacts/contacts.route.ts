// /v1/contacts (and seed 004's /contacts): CRUD, soft delete, restore, list with filters/sort/cursor, ?q= search.
// Optimistic concurrency: ETag = "<version>"; If-Match or `version` in the body; a stale version is 412.
import type { Context, Hono } from 'hono';
import { v7 as uuidv7 } from 'uuid';
import type { Access } from '../accounts/access.ts';
import { ApiError, createApiRouter, jsonBody, parseWith, validationError } from '../accounts/api-errors.ts';
import type { Logger } from '../infra/logger.ts';
import { encodeCursor, parseListQuery } from './contacts.query.ts';
import { getContact, insertContact, listContacts, setDeleted, updateContact, type TenantDb, type WriteResult } from './contacts.repository.ts';
import { ContactBody, ContactPatch, toContact, WRITABLE, type Contact, type ContactRow } from './contacts.schema.ts';

/** How a client names the fields: the /v1 API uses snake_case; seed 002's /api/contacts uses camelCase. */
export interface ContactShape {
  fromClient(body: unknown): unknown;
  toClient(contact: Contact): Record<string, unknown>;
  /** Maps a snake_case field name in an error back to the client's name. */
  fieldName(field: string): string;
}
export const SNAKE_CASE: ContactShape = { fromClient: (b) => b, toClient: (c) => ({ ...c }), fieldName: (f) => f };

export interface ContactsRouterDeps {
  db: TenantDb;
  access: Access;
  logger: Logger;
}

const MAX_ID = 200;

/** If-Match: "<n>", W/"<n>" or * (any version). */
export function parseIfMatch(header: string | undefined): number | undefined | 'invalid' {
  if (header === undefined || header.trim() === '*') return undefined;
  const m = /^\s*(?:W\/)?"(\d{1,18})"\s*$/.exec(header);
  return m ? Number(m[1]) : 'invalid';
}

function expectedVersion(c: Context, bodyVersion: number | undefined): number | undefined {
  const fromHeader = parseIfMatch(c.req.header('if-match'));
  if (fromHeader === 'invalid') throw validationError([{ field: 'If-Match', message: 'an ETag from this API, e.g. "3"' }]);
  if (fromHeader !== undefined && bodyVersion !== undefined && fromHeader !== bodyVersion) {
    throw validationError([{ field: 'version', message: 'If-Match and version in the body disagree' }]);
  }
  return fromHeader ?? bodyVersion;
}

function writable(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(WRITABLE.filter((k) => k in body).map((k) => [k, body[k]]));
}

export function createContactsRouter(deps: ContactsRouterDeps, options: { shape?: ContactShape; maxBodyBytes: number }): Hono {
  const shape = options.shape ?? SNAKE_CASE;
  const app = createApiRouter(deps, options);

  const parse = async <T>(c: Context, schema: Parameters<typeof parseWith>[0]): Promise<T> => {
    try {
      return parseWith(schema, shape.fromClient(await jsonBody(c))) as T;
    } catch (err) {
      if (err instanceof ApiError && Array.isArray(err.details.fields)) {
        const fields = (err.details.fields as { field: string; message: string }[]).map((f) => ({ ...f, field: shape.fieldName(f.field) }));
        throw validationError(fields);
      }
      throw err;
    }
  };

  const respond = (c: Context, result: WriteResult, status: 200 | 201 = 200) => {
    if (result.ok) {
      const contact = toContact(result.row);
      c.header('ETag', `"${contact.version}"`);
      if (status === 201) c.header('Location', `${c.req.path.replace(/\/$/, '')}/${encodeURIComponent(contact.id)}`);
      return c.json(shape.toClient(contact), status);
    }
    switch (result.reason) {
      case 'not_found':
        throw new ApiError(404, 'CONTACT_NOT_FOUND', 'no such contact');
      case 'deleted':
        throw new ApiError(404, 'CONTACT_DELETED', 'the contact is deleted; restore it first (POST .../restore)');
      case 'not_deleted':
        throw new ApiError(409, 'CONTACT_NOT_DELETED', 'the contact is not deleted');
      case 'stale':
        throw new ApiError(412, 'VERSION_CONFLICT', 'the contact changed since you read it; re-read and retry', { current_version: result.currentVersion });
      case 'duplicate_email':
        throw new ApiError(409, 'DUPLICATE_EMAIL', 'a contact with this email already exists in the account', { existing_id: result.existingId });
    }
  };

  const ctxOf = (c: Context) => ({ tenantId: c.get('principal').tenantId, receivedAt: Date.now() });
  const idOf = (c: Context) => {
    const id = c.req.param('id') ?? '';
    if (id.length === 0 || id.length > MAX_ID) throw new ApiError(404, 'CONTACT_NOT_FOUND', 'no such contact');
    return id;
  };

  app.post('/', deps.access('write'), async (c) => {
    const body = await parse<Record<string, unknown>>(c, ContactBody);
    const ctx = ctxOf(c);
    const result = await deps.db.inTenant(ctx.tenantId, (tx) => insertContact(tx, ctx, uuidv7(), writable(body)));
    return respond(c, result, 201);
  });

  app.get('/', deps.access('read'), async (c) => {
    const parsed = parseListQuery(c.req.queries());
    if (!parsed.ok) throw validationError(parsed.problems.map((p) => ({ ...p, field: shape.fieldName(p.field) })), 'invalid query parameters');
    const q = parsed.value;
    const tenantId = c.get('principal').tenantId;
    const rows = await deps.db.inTenant(tenantId, (tx) => listContacts(tx, tenantId, q));
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    const hasMore = rows.length > q.limit;
    return c.json({
      data: page.map((r) => shape.toClient(toContact(r as ContactRow))),
      has_more: hasMore,
      next_cursor: hasMore && last ? encodeCursor(q.sort, { v: last.sort_key, id: last.id }) : null,
    });
  });

  app.get('/:id', deps.access('read'), async (c) => {
    const id = idOf(c);
    const tenantId = c.get('principal').tenantId;
    const row = await deps.db.inTenant(tenantId, (tx) => getContact(tx, tenantId, id));
    if (!row || (row.deleted_at && c.req.query('deleted') !== 'include')) throw new ApiError(404, 'CONTACT_NOT_FOUND', 'no such contact');
    const contact = toContact(row);
    c.header('ETag', `"${contact.version}"`);
    // a client holding the current version gets 304 and no body
    if (parseIfMatch(c.req.header('if-none-match')) === contact.version) return c.body(null, 304);
    return c.json(shape.toClient(contact));
  });

  for (const [method, op, schema] of [['put', 'replace', ContactBody], ['patch', 'patch', ContactPatch]] as const) {
    app[method]('/:id', deps.access('write'), async (c) => {
      const id = idOf(c);
      const body = await parse<Record<string, unknown> & { version?: number }>(c, schema);
      const expected = expectedVersion(c, body.version);
      const ctx = ctxOf(c);
      return respond(c, await deps.db.inTenant(ctx.tenantId, (tx) => updateContact(tx, ctx, id, op, writable(body), expected)));
    });
  }

  const versionParam = (c: Context) => {
    const raw = c.req.query('version');
    if (raw === undefined) return undefined;
    if (!/^\d{1,18}$/.test(raw)) throw validationError([{ field: 'version', message: 'a positive integer' }]);
    return Number(raw);
  };

  app.delete('/:id', deps.access('write'), async (c) => {
    const id = idOf(c);
    const expected = expectedVersion(c, versionParam(c));
    const ctx = ctxOf(c);
    return respond(c, await deps.db.inTenant(ctx.tenantId, (tx) => setDeleted(tx, ctx, id, true, expected)));
  });

  app.post('/:id/restore', deps.access('write'), async (c) => {
    const id = idOf(c);
    const expected = expectedVersion(c, versionParam(c));
    const ctx = ctxOf(c);
    return respond(c, await deps.db.inTenant(ctx.tenantId, (tx) => setDeleted(tx, ctx, id, false, expected)));
  });

  return app;
}
