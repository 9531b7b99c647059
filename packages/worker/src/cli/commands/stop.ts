import type { Command } from 'commander';
import { isTerminalExecutionStatus } from '@cairn/core';
import type { CliEnv } from '../env.js';
import { ExitCode } from '../exit.js';
import { addHelpSections } from '../help.js';
import { findExecution } from '../lookup.js';
import { writeLine } from '../output.js';

/** `cairn stop <execution>`: asks a running execution to stop. */
export function register(program: Command, env: CliEnv): void {
  const command = program
    .command('stop')
    .description('Stop a running execution: it goes Stopping, its running steps are stopped, then it ends Stopped.')
    .argument('<execution>', 'execution id (or ARN)')
    .option('--wait', 'wait until the execution has ended and print its final status')
    .action(
      env.action(async (ref: string, options: { wait?: boolean }) => {
        const store = await env.store();
        const record = await findExecution(store, ref);
        if (isTerminalExecutionStatus(record.status)) {
          writeLine(env.io.stderr, `Execution ${record.id} has already ended (${record.status}); nothing to stop.`);
          return ExitCode.Failed;
        }
        const runtime = await env.runtime();
        await runtime.stopExecution(record.id);
        writeLine(env.io.stdout, `Stopping execution ${record.id}; the process running it stops its running steps.`);
        if (!options.wait) return ExitCode.Ok;
        const final = await runtime.waitForExecution(record.id);
        writeLine(env.io.stdout, `Execution ${final.id} ${final.status}.`);
        return final.status === 'Stopped' ? ExitCode.Ok : ExitCode.Failed;
      }),
    );
  addHelpSections(command, {
    examples: ['cairn stop abc123def456', 'cairn stop abc123def456 --wait'],
    exitCodes: { 0: 'stop requested (with --wait: the execution ended Stopped)', 1: 'the execution had already ended (or, with --wait, ended otherwise)', 2: 'no execution with this id' },
  });
}
