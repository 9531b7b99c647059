import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, vi } from 'vitest';
import { clusterTest } from '@cairn/test-support';
import { DIST_MAIN, describeBuilt, runCairn } from './built-cli-support.js';

/**
 * `cairn scheduler` and `cairn worker` from the build (dist/) as operators run them, with SageMaker
 * and S3 configured: at rest they load neither tsx nor the AWS SDK (it loads when a step first calls
 * SageMaker or S3). Needs a current `pnpm build` (see built-cli-support.ts) and Redis + PostgreSQL.
 */

const test = clusterTest;

describeBuilt('services from the built cairn CLI', () => {
  for (const [service, started] of [['scheduler', 'scheduler started'], ['worker', 'step worker started']] as const) {
    test(`cairn ${service} runs on plain Node without tsx or the AWS SDK, SageMaker and S3 configured`, { timeout: 60_000 }, async ({ databaseUrl, schema, redisUrl, prefix }) => {
      const dir = mkdtempSync(join(tmpdir(), `cairn-built-${service}-`));
      try {
        const config = join(dir, 'cairn.config.json');
        writeFileSync(config, JSON.stringify({ workspace: join(dir, 'ws'), backends: { default: 'sagemaker' }, artifacts: { backend: 's3' }, sagemaker: { region: 'eu-west-1' } }));
        const database = `${databaseUrl}${databaseUrl.includes('?') ? '&' : '?'}schema=${schema}`;
        const run = await runCairn(['--config', config, '--redis', redisUrl, '--database', database, service, '--queue-prefix', prefix], {
          from: 'dist',
          cwd: dir,
          until: async (child, output) => {
            await vi.waitFor(() => expect(output()).toContain(`"msg":"${started}"`), { timeout: 30_000, interval: 100 });
            child.kill('SIGTERM');
          },
        });
        // The signal handlers are installed before the service starts (and so before it logs "started"):
        // a SIGTERM after that log is always a graceful shutdown.
        expect(run.code, run.stderr.slice(-2_000)).toBe(0);
        expect(run.stderr).toContain(`"msg":"${started}"`);
        expect(run.loaded).toContain(DIST_MAIN);
        const unwanted = run.loaded.filter((url) => /\/tsx@|@aws-sdk|@smithy|\.[cm]?ts$/.test(url));
        expect(unwanted).toEqual([]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
