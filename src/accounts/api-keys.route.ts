// /v1/api-keys: an account's admin creates (the key is shown once), lists and revokes API keys.
import type { Hono } from 'hono';
import { z } from 'zod';
import type { Logger } from '../infra/logger.ts';
import type { Sql } from '../infra/postgres.ts';
import type { Access } from './access.ts';
import { ApiError, createApiRouter, jsonBody, parseWith } from './api-errors.ts';
import { createApiKey, listApiKeys, revokeApiKey, SCOPES, type ApiKeyVerifier } from './api-keys.ts';

const CreateKeyBody = z.object({
  name: z.string().trim().max(100).default(''),
  scopes: z.array(z.enum(SCOPES)).min(1, 'at least one scope').max(SCOPES.length).transform((s) => [...new Set(s)]),
});
const uuid = z.uuid();

export function createApiKeysRouter(deps: { sql: Sql; apiKeys: ApiKeyVerifier; access: Access; logger: Logger }, options: { maxBodyBytes: number }): Hono {
  const app = createApiRouter(deps, options);
  app.post('/', deps.access('admin'), async (c) => {
    const body = parseWith(CreateKeyBody, await jsonBody(c));
    const tenantId = c.get('principal').tenantId;
    const created = await createApiKey(deps.sql, { tenantId, scopes: body.scopes, name: body.name });
    return c.json({ id: created.id, key: created.key, prefix: created.prefix, name: body.name, scopes: body.scopes, note: 'store the key now: it is not shown again' }, 201);
  });
  app.get('/', deps.access('admin'), async (c) => {
    return c.json({ data: await listApiKeys(deps.sql, c.get('principal').tenantId) });
  });
  app.delete('/:id', deps.access('admin'), async (c) => {
    const id = c.req.param('id');
    // another tenant's key and a malformed id answer alike: 404
    if (!uuid.safeParse(id).success || !(await revokeApiKey(deps.sql, c.get('principal').tenantId, id))) {
      throw new ApiError(404, 'API_KEY_NOT_FOUND', 'no such active API key in this account');
    }
    deps.apiKeys.clear(); // this process stops accepting it now; others within the verifier's TTL
    return c.body(null, 204);
  });
  return app;
}
