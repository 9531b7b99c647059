import type { Command } from 'commander';
import { sendCallbackFailure, sendCallbackSuccess, type CallbackTokenRecord } from '@cairn/core';
import type { CliEnv } from '../env.js';
import { ExitCode } from '../exit.js';
import { addHelpSections } from '../help.js';
import { writeJson, writeLine } from '../output.js';
import { collectAssignment } from '../parsers.js';

const TOKEN_EXIT_CODES = { 2: 'the token is unknown or was already used (or bad flags)' };

/** `cairn callback succeed|fail <token>`: completes a waiting Callback step. */
export function register(program: Command, env: CliEnv): void {
  const callback = program.command('callback').description('Complete a Callback step that waits for its token (SendPipelineExecutionStepSuccess/Failure).');
  addHelpSections(callback, {
    examples: ['cairn callback succeed 3fK9xQ2mPz8LwR1tYb7NcD --output approved=true', 'cairn callback fail 3fK9xQ2mPz8LwR1tYb7NcD --reason "rejected"'],
    exitCodes: TOKEN_EXIT_CODES,
  });

  const succeed = callback
    .command('succeed')
    .description('Let the Callback step succeed, with values for its declared output parameters.')
    .argument('<token>', 'the callback token printed by `cairn run` (or sent to the step’s queue)')
    .option('-o, --output <Name=Value>', 'output parameter value (repeatable); converted to its declared OutputType', collectAssignment)
    .option('--json', 'print {PipelineExecutionArn} as SageMaker does')
    .action(
      env.action(async (token: string, options: { output?: Record<string, string>; json?: boolean }) => {
        const record = await sendCallbackSuccess(await env.store(), token, options.output ?? {});
        return report(env, record, 'succeed', options.json);
      }),
    );
  addHelpSections(succeed, { examples: ['cairn callback succeed 3fK9xQ2mPz8LwR1tYb7NcD --output approved=true'], exitCodes: TOKEN_EXIT_CODES });

  const fail = callback
    .command('fail')
    .description('Let the Callback step fail with a reason (the execution then fails).')
    .argument('<token>', 'the callback token')
    .requiredOption('--reason <text>', 'failure reason recorded on the step')
    .option('--json', 'print {PipelineExecutionArn} as SageMaker does')
    .action(
      env.action(async (token: string, options: { reason: string; json?: boolean }) => {
        const record = await sendCallbackFailure(await env.store(), token, options.reason);
        return report(env, record, 'fail', options.json);
      }),
    );
  addHelpSections(fail, { examples: ['cairn callback fail 3fK9xQ2mPz8LwR1tYb7NcD --reason "rejected by reviewer"'], exitCodes: TOKEN_EXIT_CODES });
}

async function report(env: CliEnv, record: CallbackTokenRecord, outcome: 'succeed' | 'fail', json = false): Promise<ExitCode> {
  const execution = await (await env.store()).getExecution(record.executionId);
  if (json) writeJson(env.io.stdout, { PipelineExecutionArn: execution?.arn ?? record.executionId });
  else writeLine(env.io.stdout, `Callback step "${record.stepName}" of execution ${record.executionId} will ${outcome} (the process running the execution picks it up).`);
  return ExitCode.Ok;
}
