import { describe, expect, it } from 'vitest';
import { isEdgeClusterPrimary } from './edge.cluster.ts';

describe('isEdgeClusterPrimary', () => {
  it('forks only for `start edge` alone with EDGE_PROCESSES > 1', () => {
    expect(isEdgeClusterPrimary({ EDGE_PROCESSES: 2 }, ['edge'])).toBe(true);
    expect(isEdgeClusterPrimary({ EDGE_PROCESSES: 1 }, ['edge'])).toBe(false);
    expect(isEdgeClusterPrimary({ EDGE_PROCESSES: 2 }, ['edge', 'worker'])).toBe(false); // `start all` keeps one process
    expect(isEdgeClusterPrimary({ EDGE_PROCESSES: 2 }, ['api'])).toBe(false);
  });
});
