// Builds the api role's routers against the real local stack for app.request() tests (no sockets), with a topic
// prefix and a rate-limit namespace of the test's own.
import { Hono } from 'hono';
import { accountsRoutes } from '../../src/accounts/accounts.routes.ts';
import { createApiDeps, type ApiDeps } from '../../src/accounts/api.deps.ts';
import type { Config } from '../../src/config.ts';
import { contactsRoutes } from '../../src/contacts/contacts.routes.ts';
import { createKafka, ensureTopics, loadTopicDefinitions } from '../../src/infra/kafka.ts';
import { createLogger } from '../../src/infra/logger.ts';
import { testConfig, unique } from '../support/helpers.ts';

export interface TestApi {
  app: Hono;
  api: ApiDeps;
  cfg: Config;
  close(): Promise<void>;
  /** JSON request helper: returns status, headers and parsed body. */
  call(method: string, path: string, init?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export async function createTestApi(overrides: Record<string, string> = {}, options: { topics?: boolean } = {}): Promise<TestApi> {
  const cfg = testConfig({ KAFKA_TOPIC_PREFIX: `${unique('t6')}.`, JWT_SECRET: 'test-secret-test-secret-test-secret-0123', ...overrides });
  if (options.topics) {
    const admin = createKafka(cfg).admin();
    await admin.connect();
    await ensureTopics(admin, loadTopicDefinitions().map((t) => ({ ...t, partitions: 1 })), cfg.KAFKA_TOPIC_PREFIX);
    await admin.disconnect();
  }
  const logger = createLogger(cfg);
  const api = await createApiDeps(cfg, logger, undefined, { rateLimitPrefix: unique('rl') });
  const app = new Hono();
  for (const [path, router] of [...accountsRoutes(api), ...contactsRoutes(api)]) app.route(path, router);
  return {
    app,
    api,
    cfg,
    async close() {
      await api.relay.stop();
      await api.producer.disconnect();
      await api.redis.quit();
      await api.sql.end({ timeout: 5 });
    },
    async call(method, path, init = {}) {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      if (init.token) headers.authorization = `Bearer ${init.token}`;
      let body: string | undefined;
      if (init.body !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
      }
      const res = await app.request(path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON: keep the text */
      }
      return { status: res.status, headers: res.headers, body: parsed };
    },
  };
}

/** A new account with its admin; returns the admin's tokens and ids. */
export async function registerAccount(t: TestApi, name = unique('acct')) {
  const email = `${unique('admin')}@example.com`;
  const res = await t.call('POST', '/v1/auth/register', { body: { email, password: 'correct horse battery', account: name } });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { email, password: 'correct horse battery', token: res.body.token as string, refresh: res.body.refresh_token as string, accountId: res.body.account_id as string, userId: res.body.user_id as string };
}

/** A user of the given role in an account, logged in. */
export async function addUser(t: TestApi, adminToken: string, role: 'admin' | 'editor' | 'viewer') {
  const email = `${unique(role)}@example.com`;
  const created = await t.call('POST', '/v1/users', { token: adminToken, body: { email, password: 'another good password', role } });
  if (created.status !== 201) throw new Error(`add user failed: ${created.status} ${JSON.stringify(created.body)}`);
  const login = await t.call('POST', '/v1/auth/login', { body: { email, password: 'another good password' } });
  return { email, token: login.body.token as string, id: created.body.id as string };
}
