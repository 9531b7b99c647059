import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { MemoryStore, type StoredEvent } from '@cairn/core';
import { DEFAULT_EVENT_RETENTION_MS, EventRetention } from './event-retention.js';

const DAY = 86_400_000;
const NOW = 100 * DAY;
const clock = { now: () => NOW };
const event = (id: string, createdAt: number): StoredEvent => ({ id, detailType: 'T', envelope: { id }, createdAt });

/** A memory store with `old` settled events 40 days old, one pending one as old, and one a day old. */
async function seeded(old: number): Promise<MemoryStore> {
  const store = new MemoryStore();
  for (let i = 0; i < old; i++) {
    const [delivery] = await store.appendEvent(event(`old-${i}`, NOW - 40 * DAY + i), ['hook']);
    await store.updateDelivery(delivery?.id ?? '', { status: i % 2 === 0 ? 'delivered' : 'failed', attempts: 1, updatedAt: NOW - 40 * DAY });
  }
  await store.appendEvent(event('old-pending', NOW - 40 * DAY), ['hook']);
  const [recent] = await store.appendEvent(event('recent', NOW - DAY), ['hook']);
  await store.updateDelivery(recent?.id ?? '', { status: 'delivered', attempts: 1, updatedAt: NOW - DAY });
  return store;
}

describe('EventRetention', () => {
  it('deletes settled events past the retention (30 days by default), in batches, and keeps pending and recent ones', async () => {
    const store = await seeded(25);
    const prune = vi.spyOn(store, 'pruneEvents');
    const retention = new EventRetention(store, { batch: 10, clock, logger: pino({ level: 'silent' }) });
    expect(await retention.prune()).toBe(25);
    expect(prune.mock.calls.map(([q]) => q)).toEqual([1, 2, 3].map(() => ({ before: NOW - DEFAULT_EVENT_RETENTION_MS, limit: 10 })));
    expect(await store.getEvent('old-0')).toBeUndefined();
    expect(await store.getEvent('old-pending')).toBeDefined();
    expect(await store.getEvent('recent')).toBeDefined();
    expect(await retention.prune()).toBe(0);
  });

  it('stops a pass at maxPerPass and goes on in the next one; a shorter retention reaches younger events', async () => {
    const store = await seeded(25);
    const retention = new EventRetention(store, { keepMs: 12 * 3_600_000, batch: 10, maxPerPass: 15, clock, logger: pino({ level: 'silent' }) });
    expect(await retention.prune()).toBe(15);
    expect(await retention.prune()).toBe(11);
    expect(await store.getEvent('recent')).toBeUndefined();
    expect(await store.getEvent('old-pending')).toBeDefined();
  });

  it('runs a first pass on start, and logs a failing store instead of throwing', async () => {
    const store = await seeded(3);
    const messages: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void messages.push((JSON.parse(s) as { msg: string }).msg) });
    const retention = new EventRetention(store, { clock, logger });
    retention.start();
    await retention.stop();
    expect(await store.getEvent('old-0')).toBeUndefined();
    expect(messages).toEqual(['deleted settled outbox events past their retention']);

    vi.spyOn(store, 'pruneEvents').mockRejectedValueOnce(new Error('database went away'));
    expect(await new EventRetention(store, { clock, logger }).prune()).toBe(0);
    expect(messages.at(-1)).toMatch(/could not delete outbox events/);
  });
});
