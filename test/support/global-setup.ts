// Brings the local stack up once for the integration tests (reusing a running one), with the test database migrated.
// At the end, the topics the run created (every test file's private prefix) are deleted: kept, they pile up on the
// broker's disk run after run.
import { loadConfig } from '../../src/config.ts';
import { createKafka } from '../../src/infra/kafka.ts';
import { up } from '../../src/stack/stack.ts';
import { testEnv } from './test-env.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const cfg = loadConfig({ ...process.env, ...testEnv() });
  const started = performance.now();
  // ClickHouse DDL is applied per test file, each on its own chDB folder (chDB allows one owner per folder).
  const result = await up(cfg, (msg) => console.log(`[stack] ${msg}`), { clickhouse: false });
  console.log(`[stack] ready in ${((performance.now() - started) / 1000).toFixed(1)} s; migrations applied: ${result.migrations.join(', ') || 'none pending'}`);
  const kafka = createKafka(cfg);
  const admin = kafka.admin();
  await admin.connect();
  const before = new Set(await admin.listTopics());
  await admin.disconnect();
  return async () => {
    try {
      await admin.connect();
      // test prefixes all start with "t" (unique('t-…'), 'tb-…', 't.sink-…'); the shared crm.* topics never do
      const created = (await admin.listTopics()).filter((t) => !before.has(t) && t.startsWith('t'));
      if (created.length > 0) await admin.deleteTopics({ topics: created, timeout: 60_000 });
      console.log(`[stack] deleted ${created.length} topic(s) the tests created`);
    } catch (err) {
      console.log(`[stack] test topics not deleted: ${(err as Error).message}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
}
