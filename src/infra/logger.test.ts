import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

describe('createLogger', () => {
  it('never writes secrets, whatever module logs them', () => {
    const lines: string[] = [];
    const sink = new Writable({ write: (chunk: Buffer, _enc, cb) => (lines.push(chunk.toString()), cb()) });
    const logger = createLogger({ LOG_LEVEL: 'info' }, 'test', sink);
    logger.info({ password: 'hunter2', user: { password: 'x' }, headers: { authorization: 'Bearer ifk_secret' }, apiKey: 'ifk_abc' }, 'login');
    const out = lines.join('');
    expect(out).not.toMatch(/hunter2|ifk_secret|ifk_abc/);
    expect(JSON.parse(out)).toMatchObject({ msg: 'login', password: '[redacted]', headers: { authorization: '[redacted]' } });
  });
});
