import { ErrorCode, OrchestratorError } from '@cairn/core';
import type { Command } from 'commander';
import type { CliEnv } from '../env.js';
import type { ExitCode } from '../exit.js';
import { followExecution, type FollowOptions } from '../follow.js';
import { addHelpSections } from '../help.js';
import { findExecution } from '../lookup.js';

/**
 * `cairn resume <execution>`: takes over an embedded execution whose driving process is gone
 * (killed, machine restarted) and follows it. Succeeded steps are kept; steps that were in flight
 * run again as a new attempt (or are polled again when their executor kept a handle).
 */
export function register(program: Command, env: CliEnv): void {
  const command = program
    .command('resume')
    .description('Take over an execution whose `cairn run` process died (crash, kill, reboot) and follow it to the end. Nothing already done is run again.')
    .argument('<execution>', 'execution id (or ARN)')
    .option('--json', 'print only the final execution with its steps as JSON')
    .option('--no-progress', 'do not show progress; print the result only')
    .action(
      env.action(async (ref: string, options: FollowOptions): Promise<ExitCode> => {
        const record = await findExecution(await env.store(), ref);
        return followExecution(
          env,
          async (runtime) => {
            if (!(await runtime.resumeExecution(record.id))) {
              throw new OrchestratorError(
                ErrorCode.ExecutionNotRetryable,
                `Execution ${record.id} is ${record.status} on the ${record.runtime} runtime; there is nothing to resume here.`,
                {
                  fix:
                    record.status === 'Failed' || record.status === 'Stopped'
                      ? `run \`cairn retry ${record.id}\` to run its failed steps again.`
                      : 'resume only executions of the embedded runtime that are Executing or Stopping.',
                },
              );
            }
            return record;
          },
          options,
        );
      }),
    );
  addHelpSections(command, {
    examples: ['cairn resume abc123def456'],
    notes: 'Use it only when the process that ran the execution is gone: two processes driving one execution conflict (the second stops with STORE_CONFLICT).',
    exitCodes: {
      0: 'the execution Succeeded',
      1: 'it Failed or was Stopped, or there is nothing to resume',
      2: 'no execution with this id',
      130: 'Ctrl-C pressed twice',
    },
  });
}
