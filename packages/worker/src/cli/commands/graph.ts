import { Option, type Command } from 'commander';
import { renderGraphText, renderMermaid } from '@cairn/core';
import type { CliEnv } from '../env.js';
import { ExitCode } from '../exit.js';
import { addHelpSections } from '../help.js';
import { writeLine } from '../output.js';
import { loadCheckedPipeline } from '../pipeline-file.js';

/** `cairn graph <file>`: the compiled DAG as Mermaid or text. */
export function register(program: Command, env: CliEnv): void {
  const command = program
    .command('graph')
    .description('Print the pipeline DAG: Mermaid (paste into Markdown) or an indented text tree.')
    .argument('<file>', 'pipeline module (.ts, .js, .mjs) or definition (.json)')
    .addOption(new Option('--format <format>', 'output format').choices(['mermaid', 'text']).default('mermaid'))
    .action(
      env.action(async (file: string, options: { format: 'mermaid' | 'text' }) => {
        const { compiled } = await loadCheckedPipeline(env.io, file);
        writeLine(env.io.stdout, options.format === 'text' ? renderGraphText(compiled) : renderMermaid(compiled));
        return ExitCode.Ok;
      }),
    );
  addHelpSections(command, {
    examples: ['cairn graph examples/diamonds/pipeline.ts > dag.mmd', 'cairn graph definition.json --format text'],
    exitCodes: { 1: 'unexpected failure', 2: 'the file is unreadable or its definition is invalid (every issue is listed)' },
  });
}
