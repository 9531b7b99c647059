import type { Command } from 'commander';
import type { CliEnv } from '../env.js';
import type { ExitCode } from '../exit.js';
import { followExecution, type FollowOptions } from '../follow.js';
import { addHelpSections } from '../help.js';
import { findExecution } from '../lookup.js';

/** `cairn retry <execution>`: retries a Failed or Stopped execution in place and follows it. */
export function register(program: Command, env: CliEnv): void {
  const command = program
    .command('retry')
    .description('Retry a Failed or Stopped execution in place (same id): succeeded steps are kept, the others run again. Follows progress like `run`.')
    .argument('<execution>', 'execution id (or ARN)')
    .option('--json', 'print only the final execution with its steps as JSON')
    .option('--no-progress', 'do not show progress; print the result only')
    .action(
      env.action(async (ref: string, options: FollowOptions): Promise<ExitCode> => {
        const record = await findExecution(await env.store(), ref);
        return followExecution(env, (runtime) => runtime.retryExecution(record.id), options);
      }),
    );
  addHelpSections(command, {
    examples: ['cairn retry abc123def456', 'cairn retry abc123def456 --json'],
    exitCodes: {
      0: 'the retried execution Succeeded',
      1: 'it Failed or was Stopped again, or cannot be retried (still running, or ended at a Fail step)',
      2: 'no execution with this id',
      130: 'Ctrl-C pressed twice',
    },
  });
}
