import { Option, type Command } from 'commander';
import ms from 'ms';
import { asSentence, type DeliveryRecord, type DeliveryStatus } from '@cairn/core';
import { WEBHOOK_ENV } from '../../events-sinks.js';
import type { CliEnv } from '../env.js';
import { ExitCode } from '../exit.js';
import { addHelpSections } from '../help.js';
import { DEFAULT_EVENT_RETENTION_MS, pruneEventsBefore } from '../../event-retention.js';
import { parseDuration, parsePositiveInt } from '../parsers.js';
import { renderTable, truncate, writeJson, writeLine } from '../output.js';
import { WEBHOOK_HELP, iso } from './models.js';

/** `cairn events list|redeliver|prune`: the event outbox (Model Package State Change webhooks). */
export function register(program: Command, env: CliEnv): void {
  const events = program.command('events').description('Event deliveries to webhooks: list them, resend one, delete old ones.');

  const list = events
    .command('list')
    .description('List event deliveries, oldest first.')
    .addOption(new Option('--status <status>', 'only deliveries in this status').choices(['pending', 'delivered', 'failed']))
    .option('--limit <n>', 'at most n deliveries', parsePositiveInt, 50)
    .option('--json', 'print the delivery records as JSON', false)
    .action(env.action((options: { status?: DeliveryStatus; limit: number; json: boolean }) => listDeliveries(env, options)));
  addHelpSections(list, { examples: ['cairn events list --status failed'] });

  const redeliver = events
    .command('redeliver')
    .description('Send one delivery again now (whatever its status) and record the attempt.')
    .argument('<delivery-id>', 'delivery id (from `cairn events list`, or the Cairn-Delivery-Id header)')
    .action(env.action((id: string) => redeliverOne(env, id)));
  addHelpSections(redeliver, {
    examples: ['cairn events redeliver 3f1c2a9e-…'],
    exitCodes: { 0: 'delivered', 1: 'the receiver still failed', 2: 'no such delivery, or its sink is not configured here' },
    notes: `${WEBHOOK_HELP}, as for \`cairn models approve\`; with --redis the <prefix>:events stream too.`,
  });

  const prune = events
    .command('prune')
    .description('Delete events older than a retention whose deliveries are all delivered or failed (never one still pending), with their deliveries.')
    .option('--older-than <duration>', 'retention: events created longer ago than this go (e.g. 30d, 12h; default: events.retentionDays of cairn.config.json, else 30d)', parseDuration)
    .option('--dry-run', 'only count the events that would be deleted', false)
    .option('--json', 'print {before, olderThanMs, dryRun, pruned} as JSON', false)
    .action(env.action((options: PruneOptions) => pruneEvents(env, options)));
  addHelpSections(prune, {
    examples: ['cairn events prune --older-than 30d --dry-run', 'cairn events prune --older-than 12h --database postgres://postgres@127.0.0.1:5432/cairn'],
    exitCodes: { 0: 'pruned (or counted, with --dry-run), including when nothing was old enough', 1: 'the store failed', 2: 'a bad duration or flag' },
    notes: 'The store of the workspace, or with --database (or --redis and DATABASE_URL) the cluster\'s; a running scheduler also prunes hourly (events.retentionDays).',
  });
}

interface PruneOptions {
  olderThan?: number;
  dryRun: boolean;
  json: boolean;
}

async function pruneEvents(env: CliEnv, options: PruneOptions): Promise<ExitCode> {
  const olderThanMs = options.olderThan ?? (await env.config()).events.retentionMs ?? DEFAULT_EVENT_RETENTION_MS;
  const before = Date.now() - olderThanMs;
  const store = await env.store();
  const pruned = options.dryRun ? await store.countPrunableEvents({ before }) : await pruneEventsBefore(store, before);
  if (options.json) {
    writeJson(env.io.stdout, { before: new Date(before).toISOString(), olderThanMs, dryRun: options.dryRun, pruned });
  } else {
    const what = `${pruned} event${pruned === 1 ? '' : 's'} created before ${iso(before)} (older than ${ms(olderThanMs)}) whose deliveries are all settled`;
    writeLine(env.io.stdout, options.dryRun ? `Would prune ${what}.` : `Pruned ${what}.`);
  }
  return ExitCode.Ok;
}

async function listDeliveries(env: CliEnv, options: { status?: DeliveryStatus; limit: number; json: boolean }): Promise<ExitCode> {
  const store = await env.store();
  const deliveries = await store.listDeliveries({ limit: options.limit, ...(options.status ? { status: options.status } : {}) });
  if (options.json) {
    writeJson(env.io.stdout, deliveries);
  } else if (deliveries.length === 0) {
    writeLine(env.io.stdout, 'No event deliveries.');
  } else {
    const rows = deliveries.map((d) => [d.id, d.status, String(d.attempts), iso(d.updatedAt), d.sinkId, truncate(d.lastError ?? '', 40)]);
    writeLine(env.io.stdout, renderTable(['Delivery', 'Status', 'Attempts', 'Updated', 'Sink', 'Last error'], rows, { color: env.io.stdout.isTTY ?? false }));
  }
  return ExitCode.Ok;
}

async function redeliverOne(env: CliEnv, id: string): Promise<ExitCode> {
  const registry = await env.modelRegistry();
  if (!registry.dispatcher) {
    writeLine(env.io.stderr, `error: no event sink is configured. To fix: add events.webhooks to cairn.config.json (or set ${WEBHOOK_ENV.url} and ${WEBHOOK_ENV.secret}).`);
    return ExitCode.InvalidInput;
  }
  const delivery: DeliveryRecord = await registry.dispatcher.redeliver(id);
  if (delivery.status === 'delivered') {
    writeLine(env.io.stdout, `Delivered ${delivery.id} to ${delivery.sinkId} (attempt ${delivery.attempts}).`);
    return ExitCode.Ok;
  }
  writeLine(env.io.stderr, asSentence(`Delivery ${delivery.id} to ${delivery.sinkId} failed again: ${delivery.lastError ?? 'unknown error'}`));
  return ExitCode.Failed;
}
