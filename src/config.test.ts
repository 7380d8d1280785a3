import { describe, expect, it } from 'vitest';
import { ConfigError, hostPort, loadConfig, redactUrl } from './config.ts';

describe('loadConfig', () => {
  it('gives every variable a default that points at the local stack', () => {
    const cfg = loadConfig({});
    expect(cfg.HTTP_PORT).toBe(3000);
    expect(cfg.KAFKA_BROKERS).toBe('127.0.0.1:9092');
    expect(cfg.clickhouseMode).toBe('embedded');
  });

  it('switches ClickHouse to a server when CLICKHOUSE_URL is set', () => {
    expect(loadConfig({ CLICKHOUSE_URL: 'http://127.0.0.1:8123' }).clickhouseMode).toBe('server');
  });

  it('reports every bad variable at once, each by name', () => {
    let error: unknown;
    try {
      loadConfig({ HTTP_PORT: '70000', LOG_LEVEL: 'loud', DATABASE_URL: 'not a url' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^HTTP_PORT: /m);
    expect(problems).toMatch(/^LOG_LEVEL: /m);
    expect(problems).toMatch(/^DATABASE_URL: /m);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ HTTP_PORT: '' }).HTTP_PORT).toBe(3000);
  });
});

describe('hostPort and redactUrl', () => {
  it('reads host and port from URLs and host:port pairs', () => {
    expect(hostPort('postgres://u:p@127.0.0.1:5544/db', 5432)).toEqual({ host: '127.0.0.1', port: 5544 });
    expect(hostPort('127.0.0.1:9092', 9092)).toEqual({ host: '127.0.0.1', port: 9092 });
    expect(hostPort('redis://127.0.0.1/0', 6379)).toEqual({ host: '127.0.0.1', port: 6379 });
  });

  it('never prints a password', () => {
    expect(redactUrl('postgres://inflow:s3cret@127.0.0.1:5432/inflow')).not.toContain('s3cret');
  });
});
