import { Option, type Command } from 'commander';
import ms from 'ms';
import { ModelApprovalStatus, ModelRegistry, type JsonObject, type ModelPackageGroupRecord, type ModelPackageRecord } from '@cairn/core';
import { WEBHOOK_ENV } from '../../events-sinks.js';
import type { CliEnv } from '../env.js';
import { ExitCode } from '../exit.js';
import { addHelpSections } from '../help.js';
import { parseDuration } from '../parsers.js';
import { renderTable, writeJson, writeLine } from '../output.js';

const STATUSES = Object.values(ModelApprovalStatus);
/** Where webhooks are configured, for help texts. */
export const WEBHOOK_HELP = `Webhooks: events.webhooks in cairn.config.json (url, secretEnv, eventTypes), else ${WEBHOOK_ENV.url} (comma-separated) and ${WEBHOOK_ENV.secret}`;

/** An epoch-milliseconds time as ISO-8601 to the second. */
export function iso(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `cairn models …`: the Model Registry from the command line (for people and deployment scripts). */
export function register(program: Command, env: CliEnv): void {
  const models = program.command('models').description('Model Registry: groups, versions, approvals (from the workspace store, or --database).');

  const groups = models
    .command('groups')
    .description('List model package groups.')
    .option('--json', 'print {ModelPackageGroupSummaryList: […]} as ListModelPackageGroups does', false)
    .action(env.action((options: { json: boolean }) => listGroups(env, options)));
  addHelpSections(groups, { examples: ['cairn models groups', 'cairn models groups --json'] });

  const list = models
    .command('list')
    .description('List the versions of a group, newest first.')
    .argument('<group>', 'model package group name')
    .addOption(new Option('--status <status>', 'only versions with this approval status').choices(STATUSES))
    .option('--json', 'print {ModelPackageSummaryList: […]} as ListModelPackages does', false)
    .action(env.action((group: string, options: { status?: ModelApprovalStatus; json: boolean }) => listVersions(env, group, options)));
  addHelpSections(list, { examples: ['cairn models list DiamondsModels', 'cairn models list DiamondsModels --status Approved --json'] });

  const describe = models
    .command('describe')
    .description('Show one version and its approval history.')
    .argument('<model-package>', 'model package ARN, or <group>/<version>')
    .option('--json', 'print the DescribeModelPackage shape plus ApprovalHistory', false)
    .option('--refresh', 'for a version a SageMaker step registered: read its status from SageMaker first (DescribeModelPackage)', false)
    .action(env.action((ref: string, options: { json: boolean; refresh: boolean }) => describeVersion(env, ref, options)));
  addHelpSections(describe, { examples: ['cairn models describe DiamondsModels/3', 'cairn models describe arn:aws:sagemaker:local:000000000000:model-package/diamondsmodels/3 --json'], exitCodes: { 2: 'no such model package' } });

  for (const [name, status] of [
    ['approve', ModelApprovalStatus.Approved],
    ['reject', ModelApprovalStatus.Rejected],
  ] as const) {
    const command = models
      .command(name)
      .description(`Set a version's approval status to ${status} (recorded in the audit trail; sends a Model Package State Change event).`)
      .argument('<model-package>', 'model package ARN, or <group>/<version>')
      .requiredOption('--reason <text>', 'why (stored as ApprovalDescription and in the audit trail)')
      .option('--by <name>', 'who decides (default: $USER)')
      .option('--json', 'print the updated DescribeModelPackage shape', false)
      .action(env.action((ref: string, options: DecideOptions) => decide(env, ref, status, options)));
    addHelpSections(command, {
      examples: [`cairn models ${name} DiamondsModels/3 --reason "MSE 4.1 on the holdout set"`],
      exitCodes: { 0: `the version is now ${status}`, 1: `the move is not allowed (e.g. it is already ${status}), or a webhook could not be reached`, 2: 'no such model package' },
      notes: `A version a SageMaker step registered is changed in SageMaker too (UpdateModelPackage). ${WEBHOOK_HELP}; failed deliveries can be resent with \`cairn events redeliver <id>\`.`,
    });
  }

  const latest = models
    .command('latest')
    .description('Print the ARN of the newest version with a status (for deployment scripts).')
    .argument('<group>', 'model package group name')
    .addOption(new Option('--status <status>', 'approval status').choices(STATUSES).default(ModelApprovalStatus.Approved))
    .option('--json', 'print the DescribeModelPackage shape instead of the ARN', false)
    .action(env.action((group: string, options: { status: ModelApprovalStatus; json: boolean }) => latestVersion(env, group, options)));
  addHelpSections(latest, {
    examples: ['cairn models latest DiamondsModels --status Approved', 'ARN=$(cairn models latest DiamondsModels)'],
    exitCodes: { 0: 'found (ARN printed)', 1: 'no version has that status' },
  });

  const wait = models
    .command('wait')
    .description('Wait until a version is approved (or rejected): for CI jobs gated on a human decision.')
    .argument('<model-package>', 'model package ARN, or <group>/<version>')
    .addOption(new Option('--for <status>', 'the decision to wait for').choices([ModelApprovalStatus.Approved, ModelApprovalStatus.Rejected]).default(ModelApprovalStatus.Approved))
    .option('--timeout <duration>', 'give up after this long (e.g. 30m, 2h)', parseDuration, parseDuration('30m'))
    .option('--interval <duration>', 'time between checks', parseDuration, parseDuration('5s'))
    .action(env.action((ref: string, options: WaitOptions) => waitForDecision(env, ref, options)));
  addHelpSections(wait, {
    examples: ['cairn models wait DiamondsModels/3 --for Approved --timeout 30m'],
    exitCodes: { 0: 'the version reached the awaited status', 1: 'it got the other decision (e.g. Rejected while waiting for Approved)', 2: 'timed out (or no such model package)' },
  });
}

interface DecideOptions {
  reason: string;
  by?: string;
  json: boolean;
}

interface WaitOptions {
  for: 'Approved' | 'Rejected';
  timeout: number;
  interval: number;
}

async function listGroups(env: CliEnv, options: { json: boolean }): Promise<ExitCode> {
  const store = await env.store();
  const groups = await store.listModelPackageGroups();
  if (options.json) {
    writeJson(env.io.stdout, { ModelPackageGroupSummaryList: groups.map(groupSummary) });
  } else if (groups.length === 0) {
    writeLine(env.io.stdout, 'No model package groups.');
  } else {
    const rows = groups.map((g) => [g.ModelPackageGroupName, iso(g.CreationTime), g.ModelPackageGroupDescription ?? '']);
    writeLine(env.io.stdout, renderTable(['Group', 'Created', 'Description'], rows, { color: env.io.stdout.isTTY ?? false }));
  }
  return ExitCode.Ok;
}

async function listVersions(env: CliEnv, group: string, options: { status?: ModelApprovalStatus; json: boolean }): Promise<ExitCode> {
  const store = await env.store();
  const versions = await store.listModelPackages({ groupName: group, ...(options.status ? { status: options.status } : {}) });
  if (options.json) {
    writeJson(env.io.stdout, { ModelPackageSummaryList: versions.map(packageSummary) });
  } else if (versions.length === 0) {
    writeLine(env.io.stdout, `No versions in group "${group}"${options.status ? ` with status ${options.status}` : ''}.`);
  } else {
    const rows = versions.map((v) => [String(v.version), v.approvalStatus, iso(v.createdAt), v.executionArn?.split('/').pop() ?? '', v.arn]);
    writeLine(env.io.stdout, renderTable(['Version', 'Approval', 'Created', 'Execution', 'ARN'], rows, { color: env.io.stdout.isTTY ?? false }));
  }
  return ExitCode.Ok;
}

async function describeVersion(env: CliEnv, ref: string, options: { json: boolean; refresh: boolean }): Promise<ExitCode> {
  // Without --refresh no sink is needed (no webhook secret either): a plain read of the store.
  const record = options.refresh ? await (await env.modelRegistry()).refresh(ref) : await new ModelRegistry({ store: await env.store() }).describe(ref);
  const history = await (await env.store()).listApprovalChanges(record.arn);
  if (options.json) {
    writeJson(env.io.stdout, { ...record.description, ApprovalHistory: history.map((c) => ({ From: c.from, To: c.to, By: c.by, At: iso(c.at), ...(c.reason ? { Reason: c.reason } : {}) })) });
    return ExitCode.Ok;
  }
  const fields: [string, string | undefined][] = [
    ['Model package', record.arn],
    ['Group / version', `${record.groupName} / ${record.version}`],
    ['Approval', record.approvalStatus],
    ['Approval reason', stringAt(record.description, 'ApprovalDescription')],
    ['Created', iso(record.createdAt)],
    ['Execution', record.executionArn],
    ['Step', record.stepName],
    ['Model data', modelDataUrls(record.description)],
  ];
  for (const [k, v] of fields) if (v !== undefined) writeLine(env.io.stdout, `${`${k}:`.padEnd(17)}${v}`);
  writeLine(env.io.stdout);
  const rows = history.map((c) => [iso(c.at), c.from ?? '(created)', c.to, c.by, c.reason ?? '']);
  writeLine(env.io.stdout, renderTable(['When', 'From', 'To', 'Who', 'Why'], rows, { color: env.io.stdout.isTTY ?? false }));
  return ExitCode.Ok;
}

async function decide(env: CliEnv, ref: string, status: ModelApprovalStatus, options: DecideOptions): Promise<ExitCode> {
  const registry = await env.modelRegistry();
  const by = options.by ?? env.io.env['USER'] ?? 'cairn-cli';
  const { record, change } = await registry.updateApprovalStatus({ ref, status, by, reason: options.reason, now: Date.now() });
  if (options.json) writeJson(env.io.stdout, record.description);
  else writeLine(env.io.stdout, `${record.arn}: ${change.from} → ${change.to} (by ${by}).`);
  return (await env.flushEvents()) ? ExitCode.Ok : ExitCode.Failed;
}

async function latestVersion(env: CliEnv, group: string, options: { status: ModelApprovalStatus; json: boolean }): Promise<ExitCode> {
  const [record] = await (await env.store()).listModelPackages({ groupName: group, status: options.status });
  if (!record) {
    writeLine(env.io.stderr, `No version of group "${group}" is ${options.status}.`);
    return ExitCode.Failed;
  }
  if (options.json) writeJson(env.io.stdout, record.description);
  else writeLine(env.io.stdout, record.arn);
  return ExitCode.Ok;
}

async function waitForDecision(env: CliEnv, ref: string, options: WaitOptions): Promise<ExitCode> {
  const registry = await env.modelRegistry();
  const controller = new AbortController();
  const unsubscribe = env.io.onInterrupt(() => controller.abort());
  try {
    const result = await registry.waitForApproval(ref, options.for, { timeoutMs: options.timeout, pollIntervalMs: options.interval, signal: controller.signal });
    const { arn, approvalStatus } = result.record;
    if (result.outcome === 'reached') {
      writeLine(env.io.stdout, `${arn} is ${approvalStatus}.`);
      return ExitCode.Ok;
    }
    if (result.outcome === 'opposite') {
      writeLine(env.io.stderr, `${arn} is ${approvalStatus}, not ${options.for}${reasonOf(result.record)}.`);
      return ExitCode.Failed;
    }
    writeLine(env.io.stderr, `${arn} is still ${approvalStatus} after ${ms(options.timeout, { long: true })}.`);
    return ExitCode.InvalidInput;
  } finally {
    unsubscribe();
  }
}

function reasonOf(record: ModelPackageRecord): string {
  const reason = stringAt(record.description, 'ApprovalDescription');
  return reason ? ` ("${reason}")` : '';
}

function stringAt(object: JsonObject, key: string): string | undefined {
  const value = object[key];
  return typeof value === 'string' ? value : undefined;
}

function modelDataUrls(description: JsonObject): string | undefined {
  const containers = (description['InferenceSpecification'] as { Containers?: { ModelDataUrl?: string }[] } | undefined)?.Containers ?? [];
  const urls = containers.map((c) => c.ModelDataUrl).filter((u): u is string => typeof u === 'string');
  return urls.length > 0 ? urls.join(', ') : undefined;
}

function groupSummary(g: ModelPackageGroupRecord): JsonObject {
  return { ...g, CreationTime: iso(g.CreationTime) };
}

function packageSummary(p: ModelPackageRecord): JsonObject {
  const d = p.description;
  const keys = ['ModelPackageName', 'ModelPackageGroupName', 'ModelPackageVersion', 'ModelPackageArn', 'ModelPackageDescription', 'ModelPackageStatus', 'ModelApprovalStatus', 'ModelPackageRegistrationType'];
  return { ...Object.fromEntries(keys.filter((k) => d[k] !== undefined).map((k) => [k, d[k] ?? null])), CreationTime: iso(p.createdAt) };
}
