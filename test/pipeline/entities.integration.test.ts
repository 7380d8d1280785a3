// The entity writes (applyEffects) against Postgres alone: new rows inserted, existing ones updated when the event
// is newer, and an entity that another transaction inserts while this one is writing it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTenant } from '../../src/accounts/api-keys.ts';
import { createPostgres, type Sql } from '../../src/infra/postgres.ts';
import { toEffect } from '../../src/pipeline/effect.step.ts';
import { enrich } from '../../src/pipeline/enrich.step.ts';
import { applyEffects } from '../../src/pipeline/entities.repository.ts';
import { normalizeEvent } from '../../src/pipeline/normalize.step.ts';
import { testConfig, unique } from '../support/helpers.ts';
import { crmEvent } from './pipeline.support.ts';

let sql: Sql;
const env = { tenant: unique('tenant') };

beforeAll(async () => {
  sql = createPostgres(testConfig(), { max: 4 });
  await ensureTenant(sql, env.tenant);
});
afterAll(async () => {
  await sql?.unsafe('delete from contacts where tenant_id = $1', [env.tenant]);
  await sql?.end({ timeout: 5 });
});

const contactEffect = (id: string, occurredAt: number, title: string) => {
  const event = normalizeEvent(crmEvent(env, {
    type: 'contact.updated', entity_id: id, occurred_at: occurredAt,
    contact: { first_name: 'Ada', last_name: 'Byron', email: `${id}@example.com`, phone: null, company: null, title, country: 'GB', owner_id: null, status: null, tags: [] },
  }));
  return toEffect(event, enrich({ ip: null, user_agent: null }, null));
};

describe('applyEffects', () => {
  it('inserts new entities, updates existing ones with a newer event, and leaves them for an older one', async () => {
    const [a, b] = [unique('c'), unique('c')];
    const t = Date.now();
    const first = await sql.begin((tx) => applyEffects(tx, [contactEffect(a, t, 'one'), contactEffect(b, t, 'one')]));
    expect(first.map((r) => [r.applied, r.version])).toEqual([[true, 1], [true, 1]]);

    // one chunk: a new entity, a newer event for a, an older one for b
    const c = unique('c');
    const second = await sql.begin((tx) => applyEffects(tx, [contactEffect(c, t, 'one'), contactEffect(a, t + 1000, 'two'), contactEffect(b, t - 1000, 'zero')]));
    expect(second.map((r) => [r.applied, r.version])).toEqual([[true, 1], [true, 2], [false, null]]);
    expect(JSON.parse(second[1]!.entity!.toString())).toMatchObject({ id: a, title: 'two', version: 2 });

    const rows = await sql<{ id: string; title: string; version: string }[]>`select id, title, version from contacts where tenant_id = ${env.tenant} and id = any(${[a, b, c]}) order by version, id`;
    expect(Object.fromEntries(rows.map((r) => [r.id, [r.title, Number(r.version)]]))).toEqual({ [a]: ['two', 2], [b]: ['one', 1], [c]: ['one', 1] });
  });

  it('updates an entity that a concurrent transaction inserted and committed while this one waited on it', async () => {
    const id = unique('c');
    const t = Date.now();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inserted!: () => void;
    const insertedOnce = new Promise<void>((r) => (inserted = r));
    // transaction A inserts the entity and holds its transaction open
    const a = sql.begin(async (tx) => {
      const r = await applyEffects(tx, [contactEffect(id, t, 'first')]);
      inserted();
      await held;
      return r;
    });
    await insertedOnce;
    // transaction B writes a newer event for it: its insert waits on A's uncommitted row
    const b = sql.begin((tx) => applyEffects(tx, [contactEffect(id, t + 1000, 'second')]));
    await new Promise((r) => setTimeout(r, 200));
    release();
    expect((await a).map((r) => [r.applied, r.version])).toEqual([[true, 1]]);
    // the newer event is applied on top of A's row, not reported stale
    expect((await b).map((r) => [r.applied, r.version])).toEqual([[true, 2]]);
    const [row] = await sql<{ title: string; version: string }[]>`select title, version from contacts where tenant_id = ${env.tenant} and id = ${id}`;
    expect([row!.title, Number(row!.version)]).toEqual(['second', 2]);
  });
});
