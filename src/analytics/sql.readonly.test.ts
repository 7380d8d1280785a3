import { describe, expect, it } from 'vitest';
import { render } from './sql.render.ts';
import { checkReadOnly } from './sql.readonly.ts';

describe('checkReadOnly', () => {
  it.each(['SELECT 1', 'select 1;', 'WITH x AS (SELECT 1) SELECT * FROM x', 'SHOW TABLES', 'DESCRIBE outcomes', 'EXPLAIN SELECT 1', "SELECT ';' AS s", 'SELECT 1 -- ; drop'])(
    'accepts %s',
    (sql) => expect(checkReadOnly(sql).ok).toBe(true),
  );
  it.each([
    ['DROP TABLE outcomes', /DROP is not allowed/],
    ['SELECT 1; DROP TABLE outcomes', /one statement/],
    ['  insert into t values (1)', /INSERT is not allowed/],
    ['SELECT 1 FORMAT CSV', /--format/],
    ["SELECT 1 INTO OUTFILE '/tmp/x'", /OUTFILE/],
    ['-- only a comment', /empty/],
  ])('refuses %s', (sql, message) => {
    const check = checkReadOnly(sql);
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.message).toMatch(message);
  });
});

describe('render', () => {
  const result = { columns: [{ name: 'status', type: 'String' }, { name: 'n', type: 'UInt64' }], rows: [['applied', 12], ['a,"b"', 3]] };
  it('aligns a table, numbers to the right', () => {
    expect(render(result, 'table')).toBe('status    n\n-------  --\napplied  12\na,"b"     3\n(2 rows)');
  });
  it('quotes CSV cells that need it', () => {
    expect(render(result, 'csv')).toBe('status,n\napplied,12\n"a,""b""",3');
  });
  it('gives JSON objects', () => {
    expect(JSON.parse(render(result, 'json'))).toEqual([{ status: 'applied', n: 12 }, { status: 'a,"b"', n: 3 }]);
  });
});
