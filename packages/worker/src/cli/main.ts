import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import * as callback from './commands/callback.js';
import * as compile from './commands/compile.js';
import * as events from './commands/events.js';
import * as executions from './commands/executions.js';
import * as graph from './commands/graph.js';
import * as lineage from './commands/lineage.js';
import * as logs from './commands/logs.js';
import * as models from './commands/models.js';
import * as publish from './commands/publish.js';
import * as resume from './commands/resume.js';
import * as retry from './commands/retry.js';
import * as run from './commands/run.js';
import * as services from './commands/services.js';
import * as stop from './commands/stop.js';
import * as validate from './commands/validate.js';
import { CliEnv, type GlobalOptions } from './env.js';
import { ExitCode, exitCodeFor } from './exit.js';
import { processIo, type CliIo } from './io.js';
import { parseDatabaseUrl } from './parsers.js';
import { writeError } from './output.js';

/** A command module: `packages/worker/src/cli/commands/<name>.ts`. */
export interface CommandModule {
  register(program: Command, env: CliEnv): void;
}

/** Every command, in `--help` order. Add a new command module here. */
const COMMANDS: readonly CommandModule[] = [compile, validate, graph, run, publish, executions, stop, retry, resume, logs, callback, models, lineage, events, services];

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Builds the `cairn` program with its global options and every command registered. */
export function buildProgram(io: CliIo): { program: Command; env: CliEnv } {
  const program = new Command('cairn');
  const env = new CliEnv(io, () => program.opts<GlobalOptions>());
  // Settings made before `.command()` are inherited by every subcommand.
  program
    .description('Cairn: run SageMaker Pipelines definitions on your machine or your cluster.')
    .version(packageVersion(), '-V, --version')
    .option('-c, --config <file>', 'cairn.config.json to use (default: next to the pipeline file, else in the current directory)')
    .option('--database <url>', 'PostgreSQL store, e.g. postgres://user@host:5432/db?schema=cairn (default: SQLite in the workspace; with --redis and for services: DATABASE_URL)', parseDatabaseUrl)
    .option('--redis <url>', 'Redis of the distributed runtime: run/retry/stop go to the cluster (its PostgreSQL store: --database, else DATABASE_URL; queue prefix: CAIRN_QUEUE_PREFIX, default "cairn"); default for services: REDIS_URL')
    .addOption(new Option('--log-level <level>', 'log level of the JSON logs on stderr (services: info when silent)').choices(LOG_LEVELS).default('silent'))
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError('(add --help for usage)');
  for (const command of COMMANDS) command.register(program, env);
  return { program, env };
}

/**
 * Runs `cairn` with `argv` (the arguments after the command name) and returns the exit code:
 * 0 success, 1 failed or invalid result, 2 unreadable or invalid input.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<ExitCode> {
  const { program, env } = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return env.exitCode;
  } catch (err) {
    // Commander has already printed its message (or the help / version).
    if (err instanceof CommanderError) return err.exitCode === 0 ? ExitCode.Ok : ExitCode.InvalidInput;
    writeError(io.stderr, err);
    return exitCodeFor(err);
  } finally {
    await env.close();
  }
}

/** Entry point: runs the CLI on this process's arguments and sets its exit code. */
export async function main(): Promise<void> {
  const code = await runCli(process.argv.slice(2));
  // After a second Ctrl-C, do not wait for running steps or open handles.
  if (code === ExitCode.Interrupted) process.exit(code);
  process.exitCode = code;
}

function packageVersion(): string {
  return (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  return script !== undefined && realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
}

// `node --conditions=@cairn/source --import tsx packages/worker/src/cli/main.ts …` (the root `pnpm cairn` script) runs this file directly.
if (isEntryPoint()) await main();
