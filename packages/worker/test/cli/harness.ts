import { EventEmitter } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, vi } from 'vitest';
import { FakeAwsServer } from '@cairn/test-support/fake-aws/index';
import { runCli } from '../../src/cli/main.js';
import type { CliIo } from '../../src/cli/io.js';

/** Absolute path of a file in `test/cli/fixtures`. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
}

/** What one in-process `cairn` invocation printed and returned. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** An in-process CLI with captured output and a Ctrl-C button. */
export interface TestCli {
  io: CliIo;
  stdout: () => string;
  stderr: () => string;
  /** Simulates Ctrl-C. */
  interrupt(): void;
  run(argv: readonly string[]): Promise<CliResult>;
}

/** Makes a test CLI whose relative paths resolve against `cwd`; `tty` makes stdout look like a terminal. */
export function testCli(cwd: string = process.cwd(), options: { tty?: boolean } = {}): TestCli {
  let out = '';
  let err = '';
  const signals = new EventEmitter();
  const io: CliIo = {
    stdout: { write: (s: string) => (out += s), isTTY: options.tty ?? false, columns: 120, rows: 40 },
    stderr: { write: (s: string) => (err += s) },
    cwd,
    env: {},
    onInterrupt(listener) {
      signals.on('SIGINT', listener);
      return () => signals.off('SIGINT', listener);
    },
  };
  return {
    io,
    stdout: () => out,
    stderr: () => err,
    interrupt: () => signals.emit('SIGINT'),
    async run(argv) {
      out = '';
      err = '';
      const code = await runCli(argv, io);
      return { code, stdout: out, stderr: err };
    },
  };
}

/** Runs `cairn <argv>` in-process once. */
export function cli(argv: readonly string[], cwd?: string): Promise<CliResult> {
  return testCli(cwd).run(argv);
}

/** Writes a cairn.config.json for the run fixtures: workspace in `dir`, Lambda handlers, a node image and the code mount. */
export async function writeTestConfig(file: string, dir: string): Promise<void> {
  const config = {
    workspace: path.join(dir, 'ws'),
    lambdas: {
      'arn:aws:lambda:us-east-1:000000000000:function:score': `${fixture('handlers.ts')}#score`,
      'arn:aws:lambda:us-east-1:000000000000:function:flaky': `${fixture('handlers.ts')}#flaky`,
    },
    images: { 'cairn-test/node:20': { runtime: 'node' } },
    artifacts: { mounts: { 's3://cli-test/code': fixture('code') } },
  };
  await writeFile(file, JSON.stringify(config));
}

/**
 * Gives each test of the calling file a fresh temp directory and a loopback fake of SageMaker and
 * S3, with the AWS environment variables (endpoints, fake credentials) pointed at it.
 */
export function useFakeAws(prefix: string): { readonly dir: string; readonly aws: FakeAwsServer } {
  const ctx = {} as { dir: string; aws: FakeAwsServer };
  beforeEach(async () => {
    ctx.dir = await mkdtemp(path.join(tmpdir(), prefix));
    ctx.aws = await FakeAwsServer.start();
    for (const [name, value] of Object.entries(ctx.aws.env())) vi.stubEnv(name, value);
  });
  afterEach(async () => {
    vi.unstubAllEnvs();
    await ctx.aws.close();
    await rm(ctx.dir, { recursive: true, force: true });
  });
  return ctx;
}
