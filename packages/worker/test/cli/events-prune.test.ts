import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it, onTestFinished } from 'vitest';
import { SqliteStore, type CairnStore } from '@cairn/core';
import { cli } from './harness.js';

const DAY = 86_400_000;

/** Seeds a store: two settled events 40 days old, one pending as old, one settled 2 days old. */
async function seedEvents(store: CairnStore, now = Date.now()): Promise<void> {
  for (const [id, age, status] of [['old-a', 40, 'delivered'], ['old-b', 40, 'failed'], ['old-pending', 40, 'pending'], ['young', 2, 'delivered']] as const) {
    const [delivery] = await store.appendEvent({ id, detailType: 'T', envelope: { id }, createdAt: now - age * DAY }, ['hook']);
    if (status !== 'pending') await store.updateDelivery(delivery?.id ?? '', { status, attempts: 1, updatedAt: now });
  }
}

it('cairn events prune deletes settled events older than 30 days from the workspace store; --dry-run only counts; --older-than shortens it', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cairn-events-prune-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  const store = await SqliteStore.open({ path: path.join(dir, '.cairn', 'cairn.db') });
  await seedEvents(store);
  await store.close();

  const dry = await cli(['events', 'prune', '--dry-run'], dir);
  expect(dry).toMatchObject({ code: 0, stdout: expect.stringMatching(/^Would prune 2 events created before \S+ \(older than 30d\) whose deliveries are all settled\.\n$/) });
  const pruned = await cli(['events', 'prune', '--json'], dir);
  expect(pruned.code).toBe(0);
  expect(JSON.parse(pruned.stdout)).toMatchObject({ olderThanMs: 30 * DAY, dryRun: false, pruned: 2 });
  expect((await cli(['events', 'prune'], dir)).stdout).toMatch(/^Pruned 0 events/);
  const listed = JSON.parse((await cli(['events', 'list', '--json'], dir)).stdout) as { eventId: string }[];
  expect(listed.map((d) => d.eventId).sort()).toEqual(['old-pending', 'young']);

  expect(JSON.parse((await cli(['events', 'prune', '--older-than', '1d', '--json'], dir)).stdout)).toMatchObject({ olderThanMs: DAY, pruned: 1 });
  const bad = await cli(['events', 'prune', '--older-than', 'soon'], dir);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/expected a duration such as 30d, 12h or 90s, got "soon"/);
  expect((await cli(['events', 'prune', '--help'], dir)).stdout).toMatch(/Examples:\n {2}\$ cairn events prune --older-than 30d --dry-run[\s\S]*Exit codes:/);
});
