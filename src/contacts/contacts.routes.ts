// Where the contacts routers are mounted: /v1/contacts, seed 004's /contacts (same shape), seed 002's /api/contacts (camelCase).
import type { Hono } from 'hono';
import type { ApiDeps } from '../accounts/api.deps.ts';
import { CAMEL_CASE } from './contacts.compat.ts';
import { createContactsRouter } from './contacts.route.ts';

export function contactsRoutes(deps: ApiDeps): [string, Hono][] {
  const v1 = createContactsRouter(deps, { maxBodyBytes: deps.maxBodyBytes });
  return [
    ['/v1/contacts', v1],
    ['/contacts', v1], // seed 004
    ['/api/contacts', createContactsRouter(deps, { maxBodyBytes: deps.maxBodyBytes, shape: CAMEL_CASE })], // seed 002
  ];
}
