// Docs that match the code: every config variable is in the README table; compose.yaml uses only real variables.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, PROJECT_ROOT } from '../src/config.ts';

const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');

describe('README', () => {
  it.each(CONFIG_VARIABLES)('documents %s in the configuration table', (name) => {
    expect(readme).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  });

  it('gives the two newcomer commands that .ci/run and package.json agree with', () => {
    const ci = readFileSync(path.join(PROJECT_ROOT, '.ci', 'run'), 'utf8');
    expect(readme).toContain('npm install && npm run up && npm start');
    expect(readme).toContain('npm install && npm test');
    expect(ci).toContain('npm test');
  });
});

describe('compose.yaml', () => {
  it('configures inflow services with the same variables as the local stack', () => {
    const compose = parse(readFileSync(path.join(PROJECT_ROOT, 'compose.yaml'), 'utf8')) as Record<string, Record<string, string>>;
    const unknown = Object.keys(compose['x-inflow-env'] ?? {}).filter((k) => !CONFIG_VARIABLES.includes(k));
    expect(unknown).toEqual([]);
  });
});
