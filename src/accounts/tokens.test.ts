import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';
import { jwtKey } from './tokens.ts';

describe('JWT_SECRET', () => {
  it('is required in production: the config refuses to load and names the variable', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(ConfigError);
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/JWT_SECRET: required when NODE_ENV=production/);
    expect(() => loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'short' })).toThrow(/JWT_SECRET: at least 32 characters/);
    expect(loadConfig({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) }).JWT_SECRET).toBe('x'.repeat(32));
  });

  it('falls back to the development key elsewhere, with a warning', () => {
    const warnings: string[] = [];
    const key = jwtKey({ NODE_ENV: 'development', JWT_SECRET: undefined }, { warn: (m: string) => warnings.push(m) } as never);
    expect(key.length).toBeGreaterThanOrEqual(32);
    expect(warnings[0]).toMatch(/JWT_SECRET is not set/);
    expect(() => jwtKey({ NODE_ENV: 'production', JWT_SECRET: undefined })).toThrow(/required in production/);
  });
});
