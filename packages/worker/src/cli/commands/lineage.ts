import { Option, type Command } from 'commander';
import { lineageToJson, queryLineage, renderLineageMermaid, renderLineageTree } from '@cairn/core';
import type { CliEnv } from '../env.js';
import { ExitCode } from '../exit.js';
import { addHelpSections } from '../help.js';
import { parsePositiveInt } from '../parsers.js';
import { writeJson, writeLine } from '../output.js';

interface LineageOptions {
  upstream?: boolean;
  downstream?: boolean;
  depth: number;
  format: 'tree' | 'json' | 'mermaid';
}

/** `cairn lineage <arn|uri>`: where a model came from, or what was made from a data set. */
export function register(program: Command, env: CliEnv): void {
  const command = program
    .command('lineage')
    .description('Walk lineage from a model package, artifact URI or lineage ARN: upstream (what produced it) or downstream (what was made from it).')
    .argument('<ref>', 'model package ARN or <group>/<version>, artifact URI (s3://…), or an artifact/action/context ARN')
    .addOption(new Option('--upstream', 'which data, code and parameters produced it (default)').conflicts('downstream'))
    .addOption(new Option('--downstream', 'what was produced from it'))
    .option('--depth <n>', 'associations to follow at most', parsePositiveInt, 10)
    .addOption(new Option('--format <format>', 'output format').choices(['tree', 'json', 'mermaid']).default('tree'))
    .action(env.action((ref: string, options: LineageOptions) => showLineage(env, ref, options)));
  addHelpSections(command, {
    examples: [
      'cairn lineage DiamondsModels/1 --upstream',
      'cairn lineage s3://cairn-examples/diamonds/raw/diamonds.csv --downstream --format mermaid',
      'cairn lineage DiamondsModels/1 --depth 3 --format json',
    ],
    exitCodes: { 2: 'nothing is recorded under this ARN or URI' },
  });
}

async function showLineage(env: CliEnv, ref: string, options: LineageOptions): Promise<ExitCode> {
  const store = await env.store();
  // `<group>/<version>` names a model package; lineage knows it by its ARN.
  const start = /^[^/:]+\/\d+$/.test(ref) ? ((await store.getModelPackage(ref))?.arn ?? ref) : ref;
  const result = await queryLineage(store, start, { direction: options.downstream ? 'downstream' : 'upstream', depth: options.depth });
  if (options.format === 'json') writeJson(env.io.stdout, lineageToJson(result));
  else writeLine(env.io.stdout, options.format === 'mermaid' ? renderLineageMermaid(result) : renderLineageTree(result));
  return ExitCode.Ok;
}
