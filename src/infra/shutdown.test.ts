import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';
import { createShutdown } from './shutdown.ts';

describe('createShutdown', () => {
  it('closes resources in reverse order of registration, once, even when one fails', async () => {
    const closed: string[] = [];
    const shutdown = createShutdown(createLogger({ LOG_LEVEL: 'silent' }));
    shutdown.add('postgres', () => void closed.push('postgres'));
    shutdown.add('consumer', () => {
      closed.push('consumer');
      throw new Error('boom');
    });
    shutdown.add('http', async () => void closed.push('http'));
    await Promise.all([shutdown.run('test'), shutdown.run('again')]);
    expect(closed).toEqual(['http', 'consumer', 'postgres']);
  });
});
