import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { LeaderLock, leaderLockKey, type LeaderLockOptions } from './leader.js';

const base: LeaderLockOptions = { connection: { host: '127.0.0.1', port: 1 }, prefix: 'p', logger: pino({ level: 'silent' }), onLost: () => undefined };

describe('LeaderLock options', () => {
  it('keys the lock by queue prefix', () => {
    expect(leaderLockKey('cairn')).toBe('cairn:cairn-scheduler-leader');
  });

  it.each([
    [{ ttlMs: 5 }, /ttlMs/],
    [{ ttlMs: 1_000, marginMs: 1_000 }, /marginMs must be smaller than ttlMs/],
    [{ ttlMs: 1_000, marginMs: 200, renewIntervalMs: 900 }, /renewIntervalMs must be smaller than ttlMs - marginMs/],
    [{ ttlMs: 1_000, pollIntervalMs: 0 }, /pollIntervalMs/],
    [{ ttlMs: 1_000, unknownHistoryWaitMs: -1 }, /unknownHistoryWaitMs/],
  ])('refuses timings %j with CONFIG_INVALID and a fix', (timings, message) => {
    const error = (() => {
      try {
        new LeaderLock({ ...base, ...timings });
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(error).toMatchObject({ code: 'CONFIG_INVALID', message: expect.stringMatching(message) });
    expect((error as Error).message).toMatch(/To fix: /);
  });

  it('accepts the defaults and makes a unique owner id per lock, without connecting', async () => {
    const a = new LeaderLock(base);
    const b = new LeaderLock(base);
    expect(a.ownerId).not.toBe(b.ownerId);
    expect(a.ownerId).toContain(`:${process.pid}:`);
    expect(a.isLeader).toBe(false);
    await a.close();
    await b.close();
    await expect(a.acquire()).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringMatching(/closed/) });
  });
});
