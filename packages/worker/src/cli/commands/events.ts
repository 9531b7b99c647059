import { Option, type Command } from 'commander';
import { asSentence, type DeliveryRecord, type DeliveryStatus } from '@cairn/core';
import { WEBHOOK_ENV } from '../../events-sinks.js';
import type { CliEnv } from '../env.js';
import { ExitCode } from '../exit.js';
import { addHelpSections } from '../help.js';
import { parsePositiveInt } from '../parsers.js';
import { renderTable, truncate, writeJson, writeLine } from '../output.js';
import { WEBHOOK_HELP, iso } from './models.js';

/** `cairn events list|redeliver`: the event outbox (Model Package State Change webhooks). */
export function register(program: Command, env: CliEnv): void {
  const events = program.command('events').description('Event deliveries to webhooks: list them, resend one.');

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
