import { defineConfig } from 'vitest/config';
import { testEnv } from './test/support/test-env.ts';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['**/*.integration.test.ts', '**/*.fault.test.ts', 'node_modules/**'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.integration.test.ts', 'test/**/*.fault.test.ts', 'src/**/*.integration.test.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          env: testEnv(),
          // One broker, one Postgres: fault tests restart them, so files run one at a time.
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
});
