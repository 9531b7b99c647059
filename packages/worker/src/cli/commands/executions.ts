import { Option, type Command } from 'commander';
import { ExecutionStatus, toDescribePipelineExecution, type ExecutionRecord, type StepExecutionRecord } from '@cairn/core';
import type { CliEnv } from '../env.js';
import { ExitCode } from '../exit.js';
import { addHelpSections } from '../help.js';
import { findExecution } from '../lookup.js';
import { formatDuration, renderTable, truncate, writeJson, writeLine } from '../output.js';
import { parsePositiveInt } from '../parsers.js';
import { inStartOrder, renderStepTable } from '../progress.js';
import { pipelineExecutionSteps, pipelineExecutionSummary, pipelineParameters } from '../shapes.js';

interface ListOptions {
  pipeline?: string;
  status?: ExecutionStatus;
  limit: number;
  json?: boolean;
}

const NOT_FOUND_EXIT = { 2: 'no execution with this id (or bad flags)' };

/** `cairn executions list|describe|steps`: read executions from the store. */
export function register(program: Command, env: CliEnv): void {
  const executions = program.command('executions').description('List and inspect executions (from the workspace store, or --database).');
  addHelpSections(executions, {
    examples: ['cairn executions list --status Failed', 'cairn executions describe abc123def456', 'cairn executions steps abc123def456 --json'],
  });

  const list = executions
    .command('list')
    .description('List executions, newest first.')
    .option('--pipeline <name>', 'only executions of this pipeline')
    .addOption(new Option('--status <status>', 'only executions in this status').choices(Object.values(ExecutionStatus)))
    .option('--limit <n>', 'at most n executions', parsePositiveInt, 20)
    .option('--json', 'print {PipelineExecutionSummaries: […]} as ListPipelineExecutions does')
    .action(env.action((options: ListOptions) => listExecutions(env, options)));
  addHelpSections(list, { examples: ['cairn executions list', 'cairn executions list --pipeline DiamondsPricePipeline --status Failed --limit 5'] });

  const describe = executions
    .command('describe')
    .description('Show one execution: status, times, parameters, failure reason and a step count.')
    .argument('<execution>', 'execution id (or ARN)')
    .option('--json', 'print the DescribePipelineExecution shape (plus PipelineParameters)')
    .action(env.action((ref: string, options: { json?: boolean }) => describeExecution(env, ref, options)));
  addHelpSections(describe, { examples: ['cairn executions describe abc123def456', 'cairn executions describe abc123def456 --json'], exitCodes: NOT_FOUND_EXIT });

  const steps = executions
    .command('steps')
    .description("List an execution's steps: status, attempt, duration, cache hit, failure reason.")
    .argument('<execution>', 'execution id (or ARN)')
    .option('--json', 'print {PipelineExecutionSteps: […]} as ListPipelineExecutionSteps does (most recent first)')
    .action(env.action((ref: string, options: { json?: boolean }) => listSteps(env, ref, options)));
  addHelpSections(steps, { examples: ['cairn executions steps abc123def456', 'cairn executions steps abc123def456 --json'], exitCodes: NOT_FOUND_EXIT });
}

async function listExecutions(env: CliEnv, options: ListOptions): Promise<ExitCode> {
  const store = await env.store();
  const records = await store.listExecutions({
    limit: options.limit,
    ...(options.pipeline !== undefined ? { pipelineName: options.pipeline } : {}),
    ...(options.status !== undefined ? { status: options.status } : {}),
  });
  if (options.json) {
    writeJson(env.io.stdout, { PipelineExecutionSummaries: records.map(pipelineExecutionSummary) });
  } else if (records.length === 0) {
    writeLine(env.io.stdout, 'No executions.');
  } else {
    const rows = records.map((r) => [r.id, r.pipelineName, r.status, isoSeconds(r.createdAt), duration(r), truncate(r.failureReason ?? '', 50)]);
    writeLine(env.io.stdout, renderTable(['Execution', 'Pipeline', 'Status', 'Started', 'Duration', 'Failure reason'], rows, { color: env.io.stdout.isTTY ?? false }));
  }
  return ExitCode.Ok;
}

async function describeExecution(env: CliEnv, ref: string, options: { json?: boolean }): Promise<ExitCode> {
  const store = await env.store();
  const record = await findExecution(store, ref);
  if (options.json) {
    writeJson(env.io.stdout, { ...toDescribePipelineExecution(record), PipelineParameters: pipelineParameters(record) });
    return ExitCode.Ok;
  }
  const steps = await store.listStepExecutions(record.id);
  const fields: [string, string | undefined][] = [
    ['Execution', record.id],
    ['ARN', record.arn],
    ['Pipeline', `${record.pipelineName} (version ${record.pipelineVersion})`],
    ['Display name', record.displayName],
    ['Description', record.description],
    ['Status', record.status],
    ['Started', isoSeconds(record.createdAt)],
    ['Ended', record.endedAt === undefined ? undefined : isoSeconds(record.endedAt)],
    ['Duration', duration(record)],
    ['Parameters', pipelineParameters(record).map((p) => `${p.Name}=${p.Value}`).join(', ') || '(none)'],
    ['Selected steps', record.selectiveExecution?.selectedSteps.join(', ')],
    ['Failure reason', record.failureReason],
    ['Steps', countByStatus(steps)],
  ];
  for (const [label, value] of fields) if (value !== undefined) writeLine(env.io.stdout, `${`${label}:`.padEnd(16)}${value}`);
  return ExitCode.Ok;
}

async function listSteps(env: CliEnv, ref: string, options: { json?: boolean }): Promise<ExitCode> {
  const store = await env.store();
  const record = await findExecution(store, ref);
  const steps = await store.listStepExecutions(record.id);
  if (options.json) writeJson(env.io.stdout, { PipelineExecutionSteps: pipelineExecutionSteps(steps) });
  else writeLine(env.io.stdout, steps.length === 0 ? 'No steps have started.' : renderStepTable(inStartOrder(steps), Date.now(), { color: env.io.stdout.isTTY ?? false }));
  return ExitCode.Ok;
}

function countByStatus(steps: readonly StepExecutionRecord[]): string {
  const counts = new Map<string, number>();
  for (const s of steps) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
  return [...counts].map(([status, n]) => `${n} ${status}`).join(', ') || 'none started';
}

function duration(record: ExecutionRecord): string {
  return formatDuration((record.endedAt ?? Date.now()) - record.createdAt);
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
