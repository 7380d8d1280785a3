import { describe, expect, it } from 'vitest';
import { ChangedMigrationError, pendingMigrations, splitStatements, type MigrationFile } from './migration-files.ts';

const file = (name: string, checksum: string): MigrationFile => ({ version: Number(name.slice(0, 3)), name, sql: '', checksum });

describe('pendingMigrations', () => {
  it('returns the files not yet applied, in order', () => {
    const files = [file('001_a.sql', 'x'), file('002_b.sql', 'y')];
    expect(pendingMigrations(files, new Map([['001_a.sql', 'x']])).map((f) => f.name)).toEqual(['002_b.sql']);
  });

  it('throws when an applied file changed', () => {
    expect(() => pendingMigrations([file('001_a.sql', 'new')], new Map([['001_a.sql', 'old']]))).toThrow(ChangedMigrationError);
  });
});

describe('splitStatements', () => {
  it('splits on semicolons at line ends and drops comment-only lines', () => {
    expect(splitStatements('-- header\nCREATE TABLE a (x String);\n\nCREATE VIEW b AS SELECT 1;\n')).toEqual(['CREATE TABLE a (x String)', 'CREATE VIEW b AS SELECT 1']);
  });
});
