import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { closeInOrder, watchShutdown, type ShutdownWatch } from './shutdown.js';

const logger = pino({ level: 'silent' });
// A signal of its own, so the test runner's SIGTERM/SIGINT handling is untouched.
const SIGNAL = 'SIGUSR2';

describe('watchShutdown', () => {
  let watch: ShutdownWatch | undefined;
  afterEach(() => watch?.dispose());

  it('keeps a signal that arrives while the service starts and closes it as soon as it runs', async () => {
    watch = watchShutdown({ logger, graceMs: 123, signals: [SIGNAL] });
    process.emit(SIGNAL, SIGNAL);
    expect(watch.signal.aborted).toBe(true);
    const close = vi.fn(async () => undefined);
    await expect(watch.until(close)).resolves.toEqual({ signal: SIGNAL });
    expect(close).toHaveBeenCalledWith(123);
    expect(process.listenerCount(SIGNAL)).toBe(0);
  });

  it('waits for a signal, then closes', async () => {
    watch = watchShutdown({ logger, signals: [SIGNAL] });
    const close = vi.fn(async () => undefined);
    const done = watch.until(close);
    await new Promise((r) => setImmediate(r));
    expect(close).not.toHaveBeenCalled();
    process.emit(SIGNAL, SIGNAL);
    await done;
    expect(close).toHaveBeenCalledOnce();
  });

  it('closes on a reason of the service own, keeping the first cause', async () => {
    watch = watchShutdown({ logger, signals: [SIGNAL] });
    watch.trigger('leader lock lost');
    watch.trigger('something else');
    await expect(watch.until(async () => undefined)).resolves.toEqual({ reason: 'leader lock lost' });
  });

  it('removes its signal handlers even when closing fails', async () => {
    watch = watchShutdown({ logger, signals: [SIGNAL] });
    watch.trigger('test');
    await expect(watch.until(async () => Promise.reject(new Error('close failed')))).rejects.toThrow('close failed');
    expect(process.listenerCount(SIGNAL)).toBe(0);
  });

  it('exits at once on a second signal', () => {
    watch = watchShutdown({ logger, signals: [SIGNAL] });
    const exit = vi.spyOn(process, 'exit').mockImplementation(() => undefined as never);
    try {
      process.emit(SIGNAL, SIGNAL);
      expect(exit).not.toHaveBeenCalled();
      process.emit(SIGNAL, SIGNAL);
      expect(exit).toHaveBeenCalledWith(1);
    } finally {
      exit.mockRestore();
    }
  });
});

describe('closeInOrder', () => {
  it('closes every part in order, even after one fails, then throws the first failure', async () => {
    const closed: string[] = [];
    const parts = [
      () => void closed.push('worker'),
      async () => Promise.reject(new Error('first')),
      async () => Promise.reject(new Error('second')),
      () => void closed.push('leader lock'),
    ];
    await expect(closeInOrder(parts, logger, 'test')).rejects.toThrow('first');
    expect(closed).toEqual(['worker', 'leader lock']);
  });
});
