import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SqliteStore, recordStepLineage } from '@cairn/core';
import { makeExecutionRecord, makeStepRecord } from '@cairn/core/testing';
import { CliEnv, type GlobalOptions } from '../env.js';
import { exitCodeFor } from '../exit.js';
import type { CliIo } from '../io.js';
import { buildProgram } from '../main.js';
import { writeError } from '../output.js';
import * as events from './events.js';
import * as lineage from './lineage.js';
import * as models from './models.js';

const ARN_PREFIX = 'arn:aws:sagemaker:local:000000000000';

/** Runs `cairn <argv>` in-process with the registry, lineage and events commands registered. */
async function cairn(cwd: string, argv: string[], vars: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIo = { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, cwd, env: vars, onInterrupt: () => () => {} };
  const { program, env } = buildProgram(io);
  for (const module of [models, lineage, events]) {
    if (!program.commands.some((c) => c.name() === module.name)) module.module.register(program, env);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return { code: env.exitCode, stdout, stderr };
  } catch (err) {
    if (err instanceof CommanderError) return { code: err.exitCode === 0 ? 0 : 2, stdout, stderr };
    writeError(io.stderr, err);
    return { code: exitCodeFor(err), stdout, stderr };
  } finally {
    await env.close();
  }
}
const models_ = { name: 'models', module: models };
void CliEnv;
void (undefined as GlobalOptions | undefined);
