import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { serializePipelineDefinition } from '@cairn/core';
import type { CliEnv } from '../env.js';
import { ExitCode } from '../exit.js';
import { addHelpSections } from '../help.js';
import { resolvePath } from '../io.js';
import { writeLine } from '../output.js';
import { loadCheckedPipeline } from '../pipeline-file.js';

interface CompileOptions {
  pretty?: boolean;
  output?: string;
}

/** `cairn compile <pipeline>`: prints the checked definition JSON. */
export function register(program: Command, env: CliEnv): void {
  const command = program
    .command('compile')
    .description('Check a pipeline and print its definition JSON (compact: the string SageMaker expects).')
    .argument('<pipeline>', 'pipeline module (.ts, .js, .mjs) or definition (.json)')
    .option('--pretty', 'indent the JSON for reading')
    .option('-o, --output <file>', 'write the JSON to this file instead of stdout')
    .action(
      env.action(async (file: string, options: CompileOptions) => {
        const { definition } = await loadCheckedPipeline(env.io, file);
        const json = options.pretty ? JSON.stringify(definition, null, 2) : serializePipelineDefinition(definition);
        if (!options.output) {
          writeLine(env.io.stdout, json);
          return ExitCode.Ok;
        }
        const target = resolvePath(env.io, options.output);
        await mkdir(path.dirname(target), { recursive: true });
        await writeFile(target, `${json}\n`);
        writeLine(env.io.stderr, `wrote ${target}`);
        return ExitCode.Ok;
      }),
    );
  addHelpSections(command, {
    examples: ['cairn compile examples/diamonds/pipeline.ts --pretty', 'cairn compile pipeline.ts -o build/definition.json'],
    exitCodes: { 1: 'unexpected failure', 2: 'the file is unreadable or its definition is invalid (every issue is listed)' },
  });
}
