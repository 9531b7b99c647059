import type { Command } from 'commander';
import { DefinitionError } from '@cairn/core';
import type { CliEnv } from '../env.js';
import { ExitCode } from '../exit.js';
import { addHelpSections } from '../help.js';
import { formatIssue, writeJson, writeLine } from '../output.js';
import { fileBaseName, loadPipelineFile } from '../load-pipeline.js';
import { checkPipeline } from '../pipeline-file.js';

interface ValidateOptions {
  json?: boolean;
  name?: string;
}

/** `cairn validate <file>`: a one-line summary, or every issue with its path and fix. */
export function register(program: Command, env: CliEnv): void {
  const command = program
    .command('validate')
    .description('Check a pipeline definition: schema, names, references, property paths, cycles. Lists every problem at once.')
    .argument('<file>', 'pipeline module (.ts, .js, .mjs) or definition (.json)')
    .option('--name <name>', 'pipeline name to report (default: the DSL name, else the file name)')
    .option('--json', 'print the result as JSON: {valid, name, steps, parameters, edges, issues}')
    .action(env.action((file: string, options: ValidateOptions) => validate(env, file, options)));
  addHelpSections(command, {
    examples: ['cairn validate examples/diamonds/pipeline.ts', 'cairn validate exported-definition.json --json'],
    exitCodes: { 0: 'the definition is valid', 1: 'the definition has problems (each printed as `path: message To fix: … [CODE]`)', 2: 'the file is missing, unreadable or not JSON' },
  });
}

async function validate(env: CliEnv, file: string, options: ValidateOptions): Promise<ExitCode> {
  let name = options.name ?? fileBaseName(file);
  try {
    const loaded = await loadPipelineFile(env.io, file, options);
    name = loaded.name;
    const { compiled } = checkPipeline(loaded);
    const summary = { steps: compiled.steps.size, parameters: compiled.parameters.size, edges: compiled.graph.size };
    if (options.json) writeJson(env.io.stdout, { valid: true, name, ...summary, issues: [] });
    else writeLine(env.io.stdout, `✓ ${name}: ${summary.steps} steps, ${summary.parameters} parameters, ${summary.edges} edges`);
    return ExitCode.Ok;
  } catch (err) {
    if (!(err instanceof DefinitionError)) throw err;
    if (options.json) writeJson(env.io.stdout, { valid: false, name, issues: err.issues });
    else for (const issue of err.issues) writeLine(env.io.stdout, formatIssue(issue));
    return ExitCode.Failed;
  }
}
