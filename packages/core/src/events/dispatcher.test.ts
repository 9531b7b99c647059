import { describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../store/memory-store.js';
import type { StoredEvent } from '../store/event-store.js';
import { EventDispatcher } from './dispatcher.js';
import type { EventSink } from './sinks.js';

const event = (id: string): StoredEvent => ({ id, detailType: 'T', envelope: { id }, createdAt: 0 });

describe('EventDispatcher', () => {
  it('backs off exponentially and gives up after maxAttempts', async () => {
    let now = 0;
    const store = new MemoryStore();
    const sink: EventSink = { id: 's', deliver: async () => Promise.reject(new Error('down')) };
    const dispatcher = new EventDispatcher({ store, sinks: [sink], clock: { now: () => now }, maxAttempts: 3, backoffBaseMs: 100 });
    await store.appendEvent(event('e'), ['s']);
    expect((await dispatcher.deliverDue()).map((d) => [d.status, d.attempts, d.nextAttemptAt])).toEqual([['pending', 1, 100]]);
    expect(await dispatcher.deliverDue()).toEqual([]);
    now = 100;
    expect((await dispatcher.deliverDue()).map((d) => [d.status, d.attempts, d.nextAttemptAt])).toEqual([['pending', 2, 300]]);
    now = 300;
    expect((await dispatcher.deliverDue()).map((d) => [d.status, d.attempts, d.lastError])).toEqual([['failed', 3, 'down']]);
  });

  it('leaves deliveries of sinks it does not know to others', async () => {
    const store = new MemoryStore();
    const dispatcher = new EventDispatcher({ store, sinks: [{ id: 'mine', deliver: async () => {} }] });
    await store.appendEvent(event('e'), ['mine', 'theirs']);
    expect((await dispatcher.deliverDue()).map((d) => d.sinkId)).toEqual(['mine']);
    expect((await store.listDeliveries({ status: 'pending' })).map((d) => d.sinkId)).toEqual(['theirs']);
    await expect(dispatcher.redeliver((await store.listDeliveries({ status: 'pending' }))[0]?.id ?? '')).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await expect(dispatcher.redeliver('missing')).rejects.toMatchObject({ code: 'INPUT_UNREADABLE' });
  });

  it('runs as a loop until aborted', async () => {
    const store = new MemoryStore();
    const delivered: string[] = [];
    const dispatcher = new EventDispatcher({ store, sinks: [{ id: 's', deliver: async (e) => void delivered.push(e.id) }] });
    const controller = new AbortController();
    const loop = dispatcher.run(controller.signal, 5);
    await store.appendEvent(event('later'), ['s']);
    await vi.waitFor(() => expect(delivered).toEqual(['later']));
    controller.abort();
    await loop;
  });
});
