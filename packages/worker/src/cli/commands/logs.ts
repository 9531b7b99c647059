import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { ErrorCode, OrchestratorError, type StepExecutionRecord } from '@cairn/core';
import type { CliEnv } from '../env.js';
import { ExitCode } from '../exit.js';
import { addHelpSections } from '../help.js';
import { findExecution } from '../lookup.js';
import { parsePositiveInt } from '../parsers.js';

interface LogsOptions {
  attempt?: number;
  stderr?: boolean;
}

/** `cairn logs <execution> <step>`: prints the kept stdout (or stderr) of a step attempt. */
export function register(program: Command, env: CliEnv): void {
  const command = program
    .command('logs')
    .description("Print a step's kept logs (stdout, or stderr with --stderr) from the local executor's sandbox.")
    .argument('<execution>', 'execution id (or ARN)')
    .argument('<step>', 'step name')
    .option('--attempt <n>', 'attempt number (default: the latest)', parsePositiveInt)
    .option('--stderr', 'print stderr instead of stdout')
    .action(env.action((ref: string, stepName: string, options: LogsOptions) => printLogs(env, ref, stepName, options)));
  addHelpSections(command, {
    examples: ['cairn logs abc123def456 TrainDiamonds', 'cairn logs abc123def456 TrainDiamonds --attempt 1 --stderr | tail -20'],
    exitCodes: { 2: 'no such execution, step, attempt or log file' },
  });
}

async function printLogs(env: CliEnv, ref: string, stepName: string, options: LogsOptions): Promise<ExitCode> {
  const store = await env.store();
  const execution = await findExecution(store, ref);
  const step = await store.getStepExecution(execution.id, stepName);
  if (!step) {
    throw new OrchestratorError(ErrorCode.StepNotFound, `Execution ${execution.id} has no step "${stepName}" (or it never started).`, {
      fix: `list its steps with \`cairn executions steps ${execution.id}\`.`,
    });
  }
  const attempt = options.attempt ?? step.attempt;
  const file = path.join(await logDirOf(env, step, attempt), options.stderr ? 'stderr.log' : 'stdout.log');
  const found = await stat(file).catch(() => undefined);
  if (!found?.isFile()) {
    throw new OrchestratorError(ErrorCode.InputUnreadable, `No ${options.stderr ? 'stderr' : 'stdout'} log for attempt ${attempt} of step "${stepName}" at ${file}.`, {
      fix: `only steps the local executor ran keep logs (step "${stepName}" is ${step.stepType}, latest attempt ${step.attempt}); check --attempt and --config.`,
    });
  }
  for await (const chunk of createReadStream(file, 'utf8')) env.io.stdout.write(chunk as string);
  return ExitCode.Ok;
}

/** The directory of an attempt's `stdout.log`/`stderr.log`: as recorded for the latest attempt, else the sandbox layout. */
async function logDirOf(env: CliEnv, step: StepExecutionRecord, attempt: number): Promise<string> {
  if (attempt === step.attempt) {
    if (step.logPath) return path.extname(step.logPath) === '.log' ? path.dirname(step.logPath) : step.logPath;
    const recorded = step.handle?.['logDir'];
    if (typeof recorded === 'string') return recorded;
  }
  const { attemptDir } = await import('@cairn/steps');
  return path.join(attemptDir((await env.config()).workspace, { executionId: step.executionId, stepName: step.stepName, attempt }), 'logs');
}
