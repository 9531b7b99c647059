import { defineConfig } from 'vitest/config';

/**
 * One vitest run covers every kind of test (see CONTRIBUTING.md):
 * unit tests beside the source, type tests (`*.test-d.ts`), integration tests against real
 * Redis/PostgreSQL (`packages/<pkg>/test/*.int.test.ts`) and end-to-end tests (`test/*.e2e.test.ts`).
 */
export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'test/**/*.test.ts',
      'examples/**/*.test.ts',
    ],
    exclude: ['**/node_modules/**', '**/.cairn/**', '**/dist/**'],
    typecheck: {
      enabled: true,
      include: ['packages/*/src/**/*.test-d.ts', 'packages/*/test/**/*.test-d.ts'],
      tsconfig: './tsconfig.json',
    },
    testTimeout: 30_000,
    hookTimeout: 60_000,
    env: { AWS_EC2_METADATA_DISABLED: 'true' },
  },
});
