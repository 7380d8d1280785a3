// Read-only SQL for analysts (`inflow sql`, POST /v1/admin/sql). The engine enforces it (readonly=1);
// this check only gives a clear message early and refuses several statements in one string.

const READ_STATEMENTS = ['SELECT', 'WITH', 'SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'EXISTS'];

export type ReadOnlyCheck = { ok: true; sql: string } | { ok: false; message: string };

/** The text with comments removed and string literals / quoted identifiers blanked, so keywords and ';' are real ones. */
export function codeOnly(sql: string): string {
  let out = '';
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    const next = sql[i + 1];
    if (ch === '-' && next === '-') {
      while (i < sql.length && sql[i] !== '\n') i++;
      out += ' ';
    } else if (ch === '/' && next === '*') {
      i += 2;
      while (i < sql.length && !(sql[i] === '*' && sql[i + 1] === '/')) i++;
      i++;
      out += ' ';
    } else if (ch === "'" || ch === '"' || ch === '`') {
      i++;
      while (i < sql.length && sql[i] !== ch) i += sql[i] === '\\' ? 2 : 1;
      out += ' x ';
    } else out += ch;
  }
  return out;
}

export function checkReadOnly(sql: string): ReadOnlyCheck {
  const trimmed = sql.trim().replace(/;\s*$/, '');
  const code = codeOnly(trimmed);
  if (!code.trim()) return { ok: false, message: 'empty query' };
  if (code.includes(';')) return { ok: false, message: 'one statement at a time: remove the ";" in the middle' };
  const first = /^\s*\(*\s*([A-Za-z]+)/.exec(code)?.[1]?.toUpperCase() ?? '';
  if (!READ_STATEMENTS.includes(first)) {
    return { ok: false, message: `read-only: ${first || 'this statement'} is not allowed; use ${READ_STATEMENTS.join(', ')}` };
  }
  if (/\bFORMAT\s+[A-Za-z]+\s*$/i.test(code)) return { ok: false, message: 'leave out FORMAT: choose the output with --format table|csv|json' };
  if (/\bINTO\s+OUTFILE\b/i.test(code)) return { ok: false, message: 'INTO OUTFILE is not allowed: redirect the output instead' };
  return { ok: true, sql: trimmed };
}
