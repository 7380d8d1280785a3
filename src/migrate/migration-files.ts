// Numbered migration files (sql/NNN_name.sql, clickhouse/NNN_name.sql) and their checksums.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface MigrationFile {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

const FILE = /^(\d{3,})_([a-z0-9_]+)\.sql$/;

export function readMigrations(dir: string): MigrationFile[] {
  const files = readdirSync(dir).filter((f) => f.endsWith('.sql'));
  const migrations = files.map((file) => {
    const m = FILE.exec(file);
    if (!m) throw new Error(`${path.join(dir, file)}: migration files are named NNN_snake_case.sql`);
    const sql = readFileSync(path.join(dir, file), 'utf8');
    return { version: Number(m[1]), name: file, sql, checksum: createHash('sha256').update(sql).digest('hex') };
  });
  migrations.sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new Error(`${dir}: two migrations share number ${migrations[i]!.version}: ${migrations[i - 1]!.name}, ${migrations[i]!.name}`);
    }
  }
  return migrations;
}

export class ChangedMigrationError extends Error {
  constructor(name: string, applied: string, current: string) {
    super(
      `migration ${name} was changed after it was applied (applied checksum ${applied.slice(0, 12)}, file now ${current.slice(0, 12)}). ` +
        'Applied migrations are immutable: restore the file and add a new numbered migration instead.',
    );
    this.name = 'ChangedMigrationError';
  }
}

/** Which files still need applying; throws if an applied one changed. */
export function pendingMigrations(files: MigrationFile[], applied: Map<string, string>): MigrationFile[] {
  for (const file of files) {
    const checksum = applied.get(file.name);
    if (checksum !== undefined && checksum !== file.checksum) throw new ChangedMigrationError(file.name, checksum, file.checksum);
  }
  return files.filter((f) => !applied.has(f.name));
}

/** Splits a ClickHouse DDL file into statements (ClickHouse runs one per request). */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}
