import { describe, expect, it } from 'vitest';
import { describeDiskFree, diskFree, LOW_DISK_BYTES } from './disk.ts';

describe('diskFree', () => {
  it('reads the free bytes of the filesystem holding a folder', () => {
    const d = diskFree('.');
    expect(d.freeBytes).toBeGreaterThan(0);
    expect(d.low).toBe(d.freeBytes < LOW_DISK_BYTES);
  });

  it('says what to delete when the disk is low, and nothing more when it is not', () => {
    expect(describeDiskFree({ dir: '/x', freeBytes: 20 * 1024 ** 3, low: false })).toBe('disk: 20.0 GB free at /x');
    const low = describeDiskFree({ dir: '/x', freeBytes: 0.5 * 1024 ** 3, low: true });
    expect(low).toMatch(/^disk: 0\.5 GB free at \/x: LOW/);
    expect(low).toContain('/x/data/kafka');
  });
});
