import { defineConfig } from 'vitest/config';

/**
 * Tests run on the TypeScript sources: `@cairn/*` imports resolve through the `@cairn/source` export
 * condition (the packages' default export is their built `dist/`). The list replaces vitest's own
 * (`node`, `development|production`), and vitest passes it to its workers as `node --conditions`.
 */
const SOURCE_CONDITIONS = ['@cairn/source', 'node', 'development|production'];

/**
 * One vitest run covers every kind of test (see CONTRIBUTING.md):
 * unit tests beside the source, type tests (`*.test-d.ts`), integration tests against real
 * Redis/PostgreSQL (`packages/<pkg>/test/*.int.test.ts`) and end-to-end tests (`test/*.e2e.test.ts`).
 */
export default defineConfig({
  ssr: { resolve: { conditions: SOURCE_CONDITIONS } },
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
