import { once } from 'node:events';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { describe, expect, onTestFinished, vi } from 'vitest';
import { redisTest as test } from '@cairn/test-support';
import { LeaderLock, leaderLockKey, type LeaderLockOptions, type LeaderLost } from '../src/leader.js';
import { redisOptionsFromUrl } from '../src/redis.js';
import { TcpProxy } from './distributed/tcp-proxy.js';

/** Short leases keep the suite fast, long enough that a loaded CI machine (event loop held a few hundred ms) does not miss a renewal; bounds below are generous multiples of them. */
const TTL_MS = 1_500;

type LogLine = { msg: string; [field: string]: unknown };

/** A pino logger whose lines a test can read. */
function captured(): { logger: Logger; lines: LogLine[]; has: (msg: RegExp) => LogLine | undefined } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  return { logger, lines, has: (msg) => lines.find((l) => msg.test(l.msg)) };
}

/** A lock on `prefix` that records its losses and its log; closed when the test ends. */
function makeLock(redisUrl: string, prefix: string, options: Partial<LeaderLockOptions> = {}) {
  const lost: LeaderLost[] = [];
  const log = captured();
  const lock = new LeaderLock({ connection: redisOptionsFromUrl(redisUrl), prefix, logger: log.logger, ttlMs: TTL_MS, onLost: (l) => void lost.push(l), ...options });
  onTestFinished(() => lock.close());
  return { lock, lost, log };
}

/** A plain client to look at (and tamper with) the lock's keys; deletes them when the test ends. */
function inspector(redisUrl: string, prefix: string) {
  const redis = new Redis(redisOptionsFromUrl(redisUrl));
  const key = leaderLockKey(prefix);
  onTestFinished(async () => {
    await redis.del(key, `${key}:lease`);
    redis.disconnect();
  });
  return { redis, key, lease: `${key}:lease`, holder: () => redis.get(key) };
}

/** Resolves to what happened, without rejecting, so a test can look at a pending acquire. */
function track(promise: Promise<void>) {
  const state: { settled: boolean; error?: unknown } = { settled: false };
  const done = promise.then(
    () => void (state.settled = true),
    (error: unknown) => void Object.assign(state, { settled: true, error }),
  );
  return { state, done };
}

/** A loopback TCP proxy that can go silent: connections stay open, bytes stop flowing (a partition, not a refusal). */
class StallingProxy {
  private readonly sockets = new Set<Socket>();
  private stalled = false;

  private constructor(
    private readonly server: Server,
    private readonly target: URL,
  ) {}

  static async start(targetUrl: string): Promise<StallingProxy> {
    const target = new URL(targetUrl);
    const server = createServer();
    const proxy = new StallingProxy(server, target);
    server.on('connection', (client) => proxy.accept(client));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return proxy;
  }

  get url(): string {
    const url = new URL(this.target);
    url.port = String((this.server.address() as AddressInfo).port);
    return url.toString();
  }

  /** From now on nothing passes either way; open connections are not closed. */
  stall(): void {
    this.stalled = true;
    for (const s of this.sockets) s.pause();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = createConnection({ host: this.target.hostname, port: Number(this.target.port) });
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => undefined);
      if (this.stalled) s.pause();
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}

describe('LeaderLock (real Redis)', () => {
  test('one leader at a time: a second lock waits as a standby while the leader renews across several ttls', async ({ redisUrl, prefix }) => {
    const keys = inspector(redisUrl, prefix);
    const a = makeLock(redisUrl, prefix);
    await a.lock.acquire();
    expect(a.lock.isLeader).toBe(true);
    expect(await keys.holder()).toBe(a.lock.ownerId);
    // First lock ever on this prefix: no lease history, so it waited one ttl before leading.
    expect(a.log.has(/waiting before leading/)).toMatchObject({ waitMs: TTL_MS, why: expect.stringMatching(/no record of a previous lease/) });

    const b = makeLock(redisUrl, prefix);
    const abort = new AbortController();
    const waiting = track(b.lock.acquire(abort.signal));
    await vi.waitFor(() => expect(b.log.has(/waiting as standby/)).toMatchObject({ holder: a.lock.ownerId }), { timeout: 5_000, interval: 20 });
    // The scenario: several lifetimes of the lease pass; only renewals keep it.
    await new Promise((r) => setTimeout(r, 4 * TTL_MS));
    expect(waiting.state.settled).toBe(false);
    expect(b.lock.isLeader).toBe(false);
    expect(a.lock.isLeader).toBe(true);
    expect(a.lost).toEqual([]);
    expect(await keys.holder()).toBe(a.lock.ownerId);
    expect(await keys.redis.pttl(keys.key)).toBeGreaterThan(0);

    abort.abort();
    await waiting.done;
    expect(waiting.state.error).toMatchObject({ name: 'AbortError' });
    expect(await keys.holder()).toBe(a.lock.ownerId);
  });

  test('unknownHistoryWaitMs: 0 trusts an empty history: the first lock on a prefix leads at once', async ({ redisUrl, prefix }) => {
    const keys = inspector(redisUrl, prefix);
    // A wait this long would outlast the test.
    const a = makeLock(redisUrl, prefix, { ttlMs: 60_000, unknownHistoryWaitMs: 0 });
    await a.lock.acquire();
    expect(a.lock.isLeader).toBe(true);
    expect(await keys.holder()).toBe(a.lock.ownerId);
    expect(a.log.has(/waiting before leading/)).toBeUndefined();
  });

  test('a standby takes over at once when the leader releases the lock', async ({ redisUrl, prefix }) => {
    const keys = inspector(redisUrl, prefix);
    const a = makeLock(redisUrl, prefix);
    await a.lock.acquire();
    const b = makeLock(redisUrl, prefix);
    const taking = b.lock.acquire();
    await vi.waitFor(() => expect(b.log.has(/waiting as standby/)).toBeDefined(), { timeout: 5_000, interval: 20 });

    await a.lock.close();
    await taking;
    expect(b.lock.isLeader).toBe(true);
    expect(await keys.holder()).toBe(b.lock.ownerId);
    // The lease was marked ended: no takeover delay.
    expect(b.log.has(/leader lock acquired/)).toMatchObject({ takeoverDelayMs: 0, previous: a.lock.ownerId });
    expect(b.log.has(/waiting before leading/)).toBeUndefined();
    expect(a.lost).toEqual([]);
    expect(a.log.has(/leader lock released/)).toBeDefined();
  });

  test.for([
    ['refused (connections reset)', 'sever'],
    ['silent (packets go nowhere, commands hang)', 'stall'],
  ] as const)('a leader whose Redis is %s gives up (onLost "expired") before its lease runs out; then a standby takes over', async ([, fault], { redisUrl, prefix }) => {
    const keys = inspector(redisUrl, prefix);
    const proxy = await TcpProxy.start(redisUrl);
    onTestFinished(() => proxy.close());
    const stalling = await StallingProxy.start(proxy.url);
    onTestFinished(() => stalling.close());
    const events: string[] = [];
    // Renewals far apart: the give-up must come from the deadline, not from the next renewal's own check.
    const a = makeLock(stalling.url, prefix, { renewIntervalMs: 400, onLost: (l) => void events.push(`a lost: ${l.reason}`) });
    await a.lock.acquire();
    const b = makeLock(redisUrl, prefix);
    const taking = b.lock.acquire().then(() => void events.push('b leads'));
    await vi.waitFor(() => expect(b.log.has(/waiting as standby/)).toBeDefined(), { timeout: 5_000, interval: 20 });

    // The leader can no longer renew: as good as dead, but still running.
    if (fault === 'sever') proxy.sever();
    else stalling.stall();
    await taking;
    // Fencing: the cut-off leader stopped before the standby could start.
    expect(events).toEqual(['a lost: expired', 'b leads']);
    expect(a.lock.isLeader).toBe(false);
    expect(await keys.holder()).toBe(b.lock.ownerId);
    // The old lease expired by itself: the standby had nothing more to wait for.
    expect(b.log.has(/leader lock acquired/)).toMatchObject({ takeoverDelayMs: 0, previous: a.lock.ownerId });
    expect(a.log.has(/leader lock lost/)).toMatchObject({ lost: { reason: 'expired' } });
  });

  test('a Redis outage shorter than the renewal deadline does not cost the lock', async ({ redisUrl, prefix }) => {
    const keys = inspector(redisUrl, prefix);
    const proxy = await TcpProxy.start(redisUrl);
    onTestFinished(() => proxy.close());
    // Longer lease: the client's reconnect backoff (up to 1 s) must fit in ttl - margin.
    const a = makeLock(proxy.url, prefix, { ttlMs: 9_000, unknownHistoryWaitMs: 0 });
    await a.lock.acquire();
    const leaseBefore = await keys.redis.get(keys.lease);

    proxy.sever();
    await vi.waitFor(() => expect(a.log.has(/renewal failed/)).toBeDefined(), { timeout: 10_000, interval: 20 });
    proxy.restore();
    await vi.waitFor(async () => expect(await keys.redis.get(keys.lease)).not.toBe(leaseBefore), { timeout: 10_000, interval: 50 });
    expect(a.lost).toEqual([]);
    expect(a.lock.isLeader).toBe(true);
    expect(await keys.holder()).toBe(a.lock.ownerId);
  }, 30_000);

  test('the lock key overwritten by another owner: onLost "taken" at the next renewal', async ({ redisUrl, prefix }) => {
    const keys = inspector(redisUrl, prefix);
    const a = makeLock(redisUrl, prefix);
    await a.lock.acquire();
    await keys.redis.set(keys.key, 'intruder', 'PX', 60_000);
    await vi.waitFor(() => expect(a.lost).toEqual([{ reason: 'taken', holder: 'intruder' }]), { timeout: 5_000, interval: 20 });
    expect(a.lock.isLeader).toBe(false);
    expect(await keys.holder()).toBe('intruder');
    // Closing a lock that lost must not delete the new holder's key.
    await a.lock.close();
    expect(await keys.holder()).toBe('intruder');
  });

  test('Redis flushed under a leader with no standby: the leader re-claims the key and keeps leading', async ({ redisUrl, prefix }) => {
    const keys = inspector(redisUrl, prefix);
    // A longer lease than the other tests: under load a 600 ms one can expire on its own, which is another test.
    const a = makeLock(redisUrl, prefix, { ttlMs: 3_000, renewIntervalMs: 200 });
    await a.lock.acquire();
    expect(await keys.redis.del(keys.key, keys.lease)).toBe(2);
    // Redis shows the key again before the leader has handled the reply and logged it: wait for both.
    await vi.waitFor(
      async () => {
        expect(await keys.holder()).toBe(a.lock.ownerId);
        expect(a.log.has(/re-claimed/)).toBeDefined();
      },
      { timeout: 5_000, interval: 20 },
    );
    expect(a.lost).toEqual([]);
    expect(a.lock.isLeader).toBe(true);
  });

  test.for([
    ['the lock key deleted', false, /deleted before the previous leader's lease ended/],
    ['Redis flushed (lock and lease record gone)', true, /no record of a previous lease/],
  ] as const)('%s while a standby polls: the standby claims it, the leader stops, and only then does the standby lead', async ([, withLease, why], { redisUrl, prefix }) => {
    const keys = inspector(redisUrl, prefix);
    const events: string[] = [];
    const a = makeLock(redisUrl, prefix, { onLost: (l) => void events.push(`a lost: ${l.reason}`) });
    await a.lock.acquire();
    const b = makeLock(redisUrl, prefix, { pollIntervalMs: 20 });
    const taking = b.lock.acquire().then(() => void events.push('b leads'));
    await vi.waitFor(() => expect(b.log.has(/waiting as standby/)).toBeDefined(), { timeout: 5_000, interval: 20 });

    // The leader may re-claim the key before the standby sees it gone: delete until the standby claims it.
    await vi.waitFor(
      async () => {
        if (b.log.has(/waiting before leading/)) return;
        await keys.redis.del(keys.key, ...(withLease ? [keys.lease] : []));
        throw new Error('the standby has not claimed the lock yet');
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(b.log.has(/waiting before leading/)).toMatchObject({ why: expect.stringMatching(why) });
    await taking;
    expect(events[0]).toMatch(/^a lost: /);
    expect(events).toHaveLength(2);
    expect(events[1]).toBe('b leads');
    expect(a.lock.isLeader).toBe(false);
    expect(await keys.holder()).toBe(b.lock.ownerId);
  });

  test('abort: a waiting standby rejects promptly with the abort reason and leaves the leader alone', async ({ redisUrl, prefix }) => {
    const keys = inspector(redisUrl, prefix);
    const a = makeLock(redisUrl, prefix, { ttlMs: 60_000, unknownHistoryWaitMs: 0 });
    await a.lock.acquire();
    // Without abort this standby would sleep up to 30 s between attempts.
    const b = makeLock(redisUrl, prefix, { ttlMs: 60_000, pollIntervalMs: 30_000 });
    const abort = new AbortController();
    const waiting = track(b.lock.acquire(abort.signal));
    await vi.waitFor(() => expect(b.log.has(/waiting as standby/)).toBeDefined(), { timeout: 5_000, interval: 20 });

    const reason = new Error('SIGTERM');
    const abortedAt = performance.now();
    abort.abort(reason);
    await waiting.done;
    expect(performance.now() - abortedAt).toBeLessThan(5_000);
    expect(waiting.state.error).toBe(reason);
    expect(await keys.holder()).toBe(a.lock.ownerId);
    expect(a.lock.isLeader).toBe(true);

    // Closing a waiting standby ends its wait as well.
    const c = makeLock(redisUrl, prefix, { ttlMs: 60_000, pollIntervalMs: 30_000 });
    const closing = track(c.lock.acquire());
    await vi.waitFor(() => expect(c.log.has(/waiting as standby/)).toBeDefined(), { timeout: 5_000, interval: 20 });
    await c.lock.close();
    await closing.done;
    expect(closing.state.error).toMatchObject({ name: 'AbortError' });
  });

  test('abort while waiting to lead after a claim: the claim is released, so the next lock leads at once', async ({ redisUrl, prefix }) => {
    const keys = inspector(redisUrl, prefix);
    // A fresh prefix has no lease history: the claimant would wait a whole ttl (60 s) before leading.
    const a = makeLock(redisUrl, prefix, { ttlMs: 60_000 });
    const abort = new AbortController();
    const waiting = track(a.lock.acquire(abort.signal));
    await vi.waitFor(() => expect(a.log.has(/waiting before leading/)).toMatchObject({ waitMs: 60_000 }), { timeout: 5_000, interval: 20 });
    expect(await keys.holder()).toBe(a.lock.ownerId);

    abort.abort();
    await waiting.done;
    expect(waiting.state.error).toMatchObject({ name: 'AbortError' });
    expect(a.lock.isLeader).toBe(false);
    expect(await keys.holder()).toBeNull();

    const b = makeLock(redisUrl, prefix, { ttlMs: 60_000 });
    await b.lock.acquire();
    expect(b.log.has(/leader lock acquired/)).toMatchObject({ takeoverDelayMs: 0, previous: a.lock.ownerId });
  });

  test('after onLost the same lock can wait as a standby again and lead once the lock is free', async ({ redisUrl, prefix }) => {
    const keys = inspector(redisUrl, prefix);
    const a = makeLock(redisUrl, prefix);
    await a.lock.acquire();
    await keys.redis.set(keys.key, 'intruder', 'PX', 2 * TTL_MS);
    await vi.waitFor(() => expect(a.lost).toHaveLength(1), { timeout: 5_000, interval: 20 });
    // The intruder writes no lease record and dies: its key expires; the lease still names `a`.
    await a.lock.acquire();
    expect(a.lock.isLeader).toBe(true);
    expect(await keys.holder()).toBe(a.lock.ownerId);
  });
});
