// Any object whose prototype is String.prototype (e.g. `class X extends String`, which ioredis 6 declared at load)
// makes V8 switch String.prototype to dictionary mode for the rest of the process: every string method call
// (charCodeAt, indexOf, ...) in every library then takes a slow lookup, 3-5x slower (bench/edge/README.md, session 8).
// patches/ioredis+6.0.0.patch defers its String subclass to first use; this keeps every role's imports from doing it.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../config.ts';

const check = (imports: string[]) =>
  execFileSync(
    process.execPath,
    ['--allow-natives-syntax', '--import', 'tsx', '--input-type=module', '-e',
      `for (const m of ${JSON.stringify(imports)}) await import(m);
       const { Redis } = await import('ioredis');
       new Redis({ lazyConnect: true }).disconnect();
       process.stdout.write(String(%HasFastProperties(String.prototype)));`],
    { cwd: PROJECT_ROOT, encoding: 'utf8' },
  );

describe('String.prototype stays in fast mode', () => {
  it('after loading every role (edge, api, worker, sink, bulk) and creating a Redis client', () => {
    const roles = ['edge/edge.role.ts', 'app/api.role.ts', 'pipeline/worker.role.ts', 'analytics/sink.role.ts', 'bulk/bulk.role.ts'];
    expect(check(roles.map((r) => `./src/${r}`))).toBe('true');
  });

  it('the check itself sees a String subclass', () => {
    expect(check(['data:text/javascript,class V extends String {}'])).toBe('false');
  });
});
