// Prints a query result as an aligned table (default), CSV with a header, or a JSON array of objects.
import type { SqlResult } from './sql.runner.ts';

export type SqlFormat = 'table' | 'csv' | 'json';

function text(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = text(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function render(result: SqlResult, format: SqlFormat): string {
  const names = result.columns.map((c) => c.name);
  if (format === 'json') {
    return JSON.stringify(result.rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]]))), null, 2);
  }
  if (format === 'csv') {
    return [names.map(csvCell).join(','), ...result.rows.map((r) => r.map(csvCell).join(','))].join('\n');
  }
  const cells = result.rows.map((r) => r.map(text));
  const widths = names.map((n, i) => Math.max(n.length, ...cells.map((r) => r[i]!.length)));
  const numeric = result.columns.map((c) => /^(Nullable\()?(U?Int|Float|Decimal)/.test(c.type));
  const line = (r: string[]) => r.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(names), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line), `(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`].join('\n');
}
