import { expect, onTestFinished, vi } from 'vitest';
import type { CairnStore } from '@cairn/core';
import { startSchedulerService } from '../src/services.js';
import { cli } from './cli/harness.js';
import { clusterTest as test, makeCluster } from './distributed/harness.js';

const HOUR = 3_600_000;

/** Two settled events 3 hours old, one pending as old, one settled event 1 minute old. */
async function seedEvents(store: CairnStore): Promise<void> {
  const now = Date.now();
  for (const [id, age, status] of [['old-a', 3 * HOUR, 'delivered'], ['old-b', 3 * HOUR, 'failed'], ['old-pending', 3 * HOUR, 'pending'], ['young', 60_000, 'delivered']] as const) {
    const [delivery] = await store.appendEvent({ id, detailType: 'T', envelope: { id }, createdAt: now - age }, ['hook']);
    if (status !== 'pending') await store.updateDelivery(delivery?.id ?? '', { status, attempts: 1, updatedAt: now });
  }
}

test('the leading scheduler prunes settled events past events.retentionDays of its configuration when it starts', async ({ databaseUrl, schema, redisUrl, prefix }) => {
  const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
  onTestFinished(() => cluster.close());
  await seedEvents(cluster.store);
  // events.retentionDays: 1/24 (an hour), as resolveCairnConfig turns it into retentionMs.
  const config = { ...cluster.config, events: { ...cluster.config.events, retentionMs: HOUR } };
  const service = await startSchedulerService({ ...cluster.settings, config }, { leaderUnknownHistoryWaitMs: 0 });
  try {
    await vi.waitFor(async () => expect(await cluster.store.getEvent('old-a')).toBeUndefined(), { timeout: 5_000, interval: 50 });
    expect(await cluster.store.getEvent('old-b')).toBeUndefined();
    expect(await cluster.store.getEvent('old-pending')).toBeDefined();
    expect(await cluster.store.getEvent('young')).toBeDefined();
    expect((await cluster.store.listDeliveries({})).map((d) => d.eventId).sort()).toEqual(['old-pending', 'young']);
  } finally {
    // Before the cluster's store and schema go.
    await service.close();
  }
});

test('cairn events prune --database prunes the cluster store', async ({ databaseUrl, schema, redisUrl, prefix }) => {
  const cluster = await makeCluster({ databaseUrl, schema, redisUrl, prefix });
  onTestFinished(() => cluster.close());
  await seedEvents(cluster.store);
  const url = new URL(databaseUrl);
  url.searchParams.set('schema', schema);
  const dry = await cli(['--database', url.toString(), 'events', 'prune', '--older-than', '2h', '--dry-run', '--json'], cluster.workspace);
  expect(JSON.parse(dry.stdout)).toMatchObject({ olderThanMs: 2 * HOUR, dryRun: true, pruned: 2 });
  expect(await cluster.store.getEvent('old-a')).toBeDefined();
  const pruned = await cli(['--database', url.toString(), 'events', 'prune', '--older-than', '2h'], cluster.workspace);
  expect(pruned).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Pruned 2 events created before .* \(older than 2h\)/) });
  expect(await cluster.store.getEvent('old-a')).toBeUndefined();
  expect(await cluster.store.getEvent('old-pending')).toBeDefined();
});
