import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { RedisOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ErrorCode, OrchestratorError } from '@cairn/core';
import { logConnectionErrors } from './redis.js';

/** Time-to-live of the scheduler's leader lock, in milliseconds. */
export const DEFAULT_LEADER_TTL_MS = 15_000;

/** The Redis key of a queue prefix's leader lock; its value is the leader's owner id. */
export function leaderLockKey(prefix: string): string {
  return `${prefix}:cairn-scheduler-leader`;
}

/**
 * The lease record beside the lock, `"<expiresAtMs> <owner>"` in Redis server time: who last held
 * the lock and until when. It outlives the lock key, so a new leader can tell a lease that ended
 * (released or expired: take over at once) from a lock key that was deleted early (wait until the
 * old lease would have ended) and from no history at all (first start, flushed or replaced Redis:
 * wait one ttl).
 */
function leaseKey(prefix: string): string {
  return `${leaderLockKey(prefix)}:lease`;
}

/** The store fence (see `ExecutionStore.advanceFence`) whose term the leader of a queue prefix fences its commits with. */
export function schedulerFenceName(prefix: string): string {
  return `scheduler:${prefix}`;
}

/** Why a leader lost its lock. */
export type LeaderLost =
  /** Another owner holds the lock, or was the last to hold it. */
  | { reason: 'taken'; holder: string }
  /** No renewal succeeded for `ttlMs - marginMs` (Redis unreachable or slow, or this process paused). */
  | { reason: 'expired'; sinceRenewMs: number }
  /**
   * The store refused a commit (`FENCED`): another scheduler advanced the fence past `term` since
   * this one took over (this one was paused or cut off longer than its lease). Reported by
   * `SchedulerService`, not by the lock.
   */
  | { reason: 'fenced'; fence: string; term: number };

/** Options of a `LeaderLock`. */
export interface LeaderLockOptions {
  /** Redis connection (the lock opens its own client: no offline queue, commands time out). */
  connection: RedisOptions;
  /** Queue prefix the lock guards: one leader per prefix. */
  prefix: string;
  logger: Logger;
  /**
   * Called at once, and once per term, when a leader loses the lock: stop driving now. It fires no
   * later than `ttlMs - marginMs` after the last successful renewal, so before the lock can expire
   * in Redis and another scheduler take it. Not called for a lock lost while still waiting to lead.
   */
  onLost: (lost: LeaderLost) => void;
  /** Lifetime of the lock without renewal; a dead leader's lock is taken over after this, in milliseconds. @defaultValue 15_000 */
  ttlMs?: number;
  /** Time between renewals, in milliseconds (after a failed renewal: `min(1_000, renewIntervalMs / 4)`). @defaultValue ttlMs / 3 */
  renewIntervalMs?: number;
  /** How long before the lock could expire in Redis a leader that could not renew gives up, in milliseconds. @defaultValue ttlMs / 5 */
  marginMs?: number;
  /** Longest time between a standby's attempts, in milliseconds (it also wakes when the holder's lock would expire). @defaultValue min(1_000, renewIntervalMs) */
  pollIntervalMs?: number;
  /**
   * How long a claimant waits before leading when Redis has no record of a previous lease (first
   * start on this prefix, or Redis flushed or replaced), in milliseconds: a leader that may still
   * run notices the claim at its next renewal, or gives up at its deadline. 0 trusts an empty
   * history (one scheduler per prefix, tests). @defaultValue ttlMs
   */
  unknownHistoryWaitMs?: number;
  /** The lock's value. @defaultValue `<hostname>:<pid>:<random hex>` */
  ownerId?: string;
}

const TimingsSchema = z
  .object({
    ttlMs: z.number().int().min(10),
    renewIntervalMs: z.number().int().positive(),
    marginMs: z.number().int().positive(),
    pollIntervalMs: z.number().int().positive(),
    unknownHistoryWaitMs: z.number().int().nonnegative(),
  })
  .refine((t) => t.marginMs < t.ttlMs, { message: 'marginMs must be smaller than ttlMs', path: ['marginMs'] })
  .refine((t) => t.renewIntervalMs < t.ttlMs - t.marginMs, { message: 'renewIntervalMs must be smaller than ttlMs - marginMs, or the leader gives up before it renews', path: ['renewIntervalMs'] });
type Timings = z.infer<typeof TimingsSchema>;

/** The lease record stays this long after its last write (then a new leader treats the history as unknown). */
const LEASE_RECORD_TTL_MS = 7 * 24 * 3600 * 1000;

const LUA_HELPERS = `
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function readLease(key)
  local v = redis.call('GET', key)
  if not v then return nil end
  local expiresAt, owner = string.match(v, '^(%d+) (.+)$')
  if not expiresAt then return nil end
  return { tonumber(expiresAt), owner }
end
local function writeLease(key, expiresAt, owner)
  redis.call('SET', key, string.format('%.0f', expiresAt) .. ' ' .. owner, 'PX', ${LEASE_RECORD_TTL_MS})
end
`;

/**
 * Claims the lock if it is free. KEYS: lock, lease; ARGV: owner, ttl, wait when there is no lease record.
 * Returns {1, waitMs, why, previous} (claimed; lead after waitMs) or {0, pttl, holder}.
 */
const ACQUIRE = `${LUA_HELPERS}
local owner, ttl = ARGV[1], tonumber(ARGV[2])
local now = nowMs()
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= owner then return { 0, redis.call('PTTL', KEYS[1]), holder } end
local lease = readLease(KEYS[2])
local wait, why, previous = tonumber(ARGV[3]), 'unknown', ''
if holder then
  wait, why = ttl, 'own-stale'
elseif lease then
  wait = math.max(0, lease[1] - now)
  previous = lease[2]
  if wait > 0 then why = 'deleted' else why = 'ended' end
end
redis.call('SET', KEYS[1], owner, 'PX', ttl)
writeLease(KEYS[2], now + ttl, owner)
return { 1, wait, why, previous }
`;

/**
 * Compare-and-extend. KEYS: lock, lease; ARGV: owner, ttl. Returns {1, ''} (extended),
 * {2, ''} (the key was gone and nobody else held it since: re-claimed) or {0, holder} (lost).
 */
const RENEW = `${LUA_HELPERS}
local owner, ttl = ARGV[1], tonumber(ARGV[2])
local now = nowMs()
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= owner then return { 0, holder } end
local code = 1
if not holder then
  local lease = readLease(KEYS[2])
  if lease and lease[2] ~= owner then return { 0, lease[2] } end
  code = 2
end
redis.call('SET', KEYS[1], owner, 'PX', ttl)
writeLease(KEYS[2], now + ttl, owner)
return { code, '' }
`;

/** Compare-and-delete; marks the lease ended so a standby takes over without waiting. KEYS: lock, lease; ARGV: owner. Returns 1 if released. */
const RELEASE = `${LUA_HELPERS}
local owner = ARGV[1]
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= owner then return 0 end
if holder then redis.call('DEL', KEYS[1]) end
local lease = readLease(KEYS[2])
if holder or (lease and lease[2] == owner) then
  writeLease(KEYS[2], nowMs(), owner)
  return 1
end
return 0
`;

const AcquireReplySchema = z.union([
  z.tuple([z.literal(1), z.number(), z.enum(['unknown', 'own-stale', 'deleted', 'ended']), z.string()]),
  z.tuple([z.literal(0), z.number(), z.string()]),
]);
const RenewReplySchema = z.tuple([z.union([z.literal(0), z.literal(1), z.literal(2)]), z.string()]);

/** Why a claimant waits before leading, for the log. */
const WAIT_REASONS = {
  unknown: 'no record of a previous lease (first start on this prefix, or Redis was flushed or replaced)',
  'own-stale': 'the key held a claim of ours that this process did not see succeed',
  deleted: "the lock key was deleted before the previous leader's lease ended",
  ended: '',
} as const;

/** One period of holding the lock: claimed, then (after any wait) leading. */
interface Term {
  phase: 'claiming' | 'leading';
  /** `performance.now()` of the last successful claim or renewal's sending. */
  renewedAt: number;
  /** `performance.now()` after which this process must not act as leader: `renewedAt + ttl - margin`. */
  deadlineAt: number;
  ended: boolean;
  deadlineTimer?: NodeJS.Timeout;
  renewTimer?: NodeJS.Timeout;
  /** Renewals run one at a time. */
  renewals: Promise<unknown>;
}

type RenewOutcome = 'renewed' | 'failed' | 'lost';

/**
 * One active scheduler per queue prefix: a lease on `<prefix>:cairn-scheduler-leader` in Redis.
 * `acquire` claims it (`SET NX PX` semantics, in Lua) or waits as a standby until it is free;
 * the holder renews it every `renewIntervalMs` with a compare-and-extend; `close` releases it with
 * a compare-and-delete. A leader that finds another owner, or whose renewals fail for
 * `ttlMs - marginMs` (measured from the sending of the last successful one, on a monotonic clock),
 * calls `onLost` at once, before its lease can expire in Redis.
 *
 * A claimant that cannot prove the previous leader has stopped (no lease record: first start,
 * flushed or replaced Redis; or a lock key deleted early) keeps the lock but waits (one ttl, see
 * `unknownHistoryWaitMs`, or until the old lease would have ended) before `acquire` resolves, so an old leader still running
 * notices at its next renewal and stops first. For the same reason a leader whose key vanished
 * (flushed Redis) re-claims it when no one else has held it since, and keeps leading.
 *
 * The lease alone is not a fence: a process paused longer than the margin can act once before its
 * timers run. `SchedulerService` closes that gap in the store: after `acquire` it advances the
 * PostgreSQL fence `schedulerFenceName(prefix)` and every commit of its coordinator carries the new
 * term, so a paused leader's late commit is refused (`FENCED`, nothing of it written or
 * dispatched) and it stops as if it had lost the lock. What is not a commit (a job it enqueues
 * for an attempt already committed) stays bounded by deterministic job ids.
 */
export class LeaderLock {
  /** The lock's value while this process holds it. */
  readonly ownerId: string;
  private readonly redis: Redis;
  private readonly keys: readonly [string, string];
  private readonly timings: Timings;
  private readonly log: Logger;
  private readonly closing = new AbortController();
  private term: Term | undefined;
  private acquiring = false;
  private closed = false;

  constructor(private readonly options: LeaderLockOptions) {
    this.timings = resolveTimings(options);
    this.ownerId = options.ownerId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.keys = [leaderLockKey(options.prefix), leaseKey(options.prefix)];
    this.log = options.logger.child({ leaderLock: this.keys[0], owner: this.ownerId });
    // No offline queue and no per-request retries: a command sent during an outage must fail
    // now, not run minutes later as a stale claim or renewal.
    this.redis = logConnectionErrors(
      new Redis({ ...options.connection, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: Math.max(this.timings.renewIntervalMs, 200) }),
      options.logger,
      'leader lock',
    );
  }

  /** Whether this process holds the lock and may drive executions. */
  get isLeader(): boolean {
    return this.term?.phase === 'leading';
  }

  /**
   * Resolves once this process leads: at once if the lock is free (after a wait when the previous
   * leader may still be running, see the class doc), else after waiting as a standby. Rejects with
   * `signal.reason` when `signal` aborts (a claim made meanwhile is released). Call again after
   * `onLost` to become a standby again.
   */
  async acquire(signal?: AbortSignal): Promise<void> {
    if (this.closed) throw closedError();
    if (this.acquiring) {
      throw new OrchestratorError(ErrorCode.Internal, 'LeaderLock.acquire was called while an earlier call still waits.', { fix: 'await the first acquire (or abort it) before calling it again.' });
    }
    if (this.isLeader) return;
    this.acquiring = true;
    const stop = signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
    const startedAt = performance.now();
    let standbyFor: string | undefined;
    try {
      for (;;) {
        stop.throwIfAborted();
        await this.ready(stop);
        const sentAt = performance.now();
        let reply: z.infer<typeof AcquireReplySchema>;
        try {
          reply = AcquireReplySchema.parse(await this.redis.eval(ACQUIRE, 2, ...this.keys, this.ownerId, this.timings.ttlMs, this.timings.unknownHistoryWaitMs));
        } catch (err) {
          this.log.warn({ err: { message: (err as Error).message } }, 'leader lock: cannot reach Redis; retrying');
          await pause(this.timings.pollIntervalMs, stop);
          continue;
        }
        if (reply[0] === 0) {
          const [, pttl, holder] = reply;
          if (holder !== standbyFor) this.log.info({ holder, ttlMs: this.timings.ttlMs }, 'leader lock held by another scheduler: waiting as standby');
          standbyFor = holder;
          // Wake when the holder's lease would run out, but poll at least this often (releases, deletions).
          await pause(pttl > 0 ? Math.min(this.timings.pollIntervalMs, pttl + 5) : this.timings.pollIntervalMs, stop);
          continue;
        }
        const [, waitMs, why, previous] = reply;
        const term = this.beginTerm(sentAt);
        try {
          if (await this.waitBeforeLeading(term, waitMs, why, previous, stop)) {
            term.phase = 'leading';
            this.log.info({ ttlMs: this.timings.ttlMs, waitedMs: Math.round(performance.now() - startedAt), previous: previous || undefined, takeoverDelayMs: waitMs }, 'leader lock acquired: this scheduler drives the executions');
            return;
          }
        } catch (err) {
          await this.endTerm(term);
          throw err;
        }
      }
    } finally {
      this.acquiring = false;
    }
  }

  /**
   * Stops renewing and releases the lock (compare-and-delete; the lease is marked ended so a
   * standby takes over at once), then disconnects. Call it after the scheduler has stopped
   * driving. A waiting `acquire` rejects. Idempotent.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort(new DOMException('The leader lock was closed.', 'AbortError'));
    const term = this.term;
    if (term) this.finish(term);
    try {
      if (this.redis.status === 'ready') {
        const released = (await this.redis.eval(RELEASE, 2, ...this.keys, this.ownerId)) === 1;
        if (released) this.log.info('leader lock released');
      }
    } catch (err) {
      this.log.warn({ err: { message: (err as Error).message }, ttlMs: this.timings.ttlMs }, 'leader lock: could not release; it expires by itself');
    } finally {
      this.redis.disconnect();
    }
  }

  /** Waits `waitMs` while renewing, then confirms the claim; false when the claim was lost meanwhile. */
  private async waitBeforeLeading(term: Term, waitMs: number, why: keyof typeof WAIT_REASONS, previous: string, stop: AbortSignal): Promise<boolean> {
    stop.throwIfAborted(); // aborted while the claim was in flight: give it back
    if (waitMs <= 0) return !term.ended;
    this.log.warn({ waitMs, why: WAIT_REASONS[why], previous: previous || undefined }, 'leader lock claimed: waiting before leading, so a previous leader that may still run notices first');
    await pause(waitMs, stop);
    // Confirm: a leader still running may have taken the key back meanwhile.
    while (!term.ended) {
      if ((await this.renew(term)) === 'renewed') return true;
      if (!term.ended) await pause(this.retryMs, stop);
    }
    this.log.warn('leader lock lost while waiting to lead: back to standby');
    return false;
  }

  private beginTerm(sentAt: number): Term {
    const term: Term = { phase: 'claiming', renewedAt: sentAt, deadlineAt: sentAt + this.timings.ttlMs - this.timings.marginMs, ended: false, renewals: Promise.resolve() };
    this.term = term;
    this.armDeadline(term);
    this.scheduleRenewal(term, this.timings.renewIntervalMs);
    return term;
  }

  private get retryMs(): number {
    return Math.max(1, Math.min(1_000, Math.floor(this.timings.renewIntervalMs / 4)));
  }

  private scheduleRenewal(term: Term, delayMs: number): void {
    term.renewTimer = setTimeout(() => {
      void this.renew(term).then((outcome) => {
        if (!term.ended) this.scheduleRenewal(term, outcome === 'renewed' ? this.timings.renewIntervalMs : this.retryMs);
      });
    }, delayMs);
  }

  private armDeadline(term: Term): void {
    clearTimeout(term.deadlineTimer);
    term.deadlineTimer = setTimeout(() => this.expire(term), Math.max(0, term.deadlineAt - performance.now()));
  }

  /** One compare-and-extend, after any renewal in flight. */
  private renew(term: Term): Promise<RenewOutcome> {
    const next = term.renewals.then(() => this.renewNow(term));
    term.renewals = next;
    return next;
  }

  private async renewNow(term: Term): Promise<RenewOutcome> {
    if (term.ended) return 'lost';
    const sentAt = performance.now();
    // Timers may run late (a paused or blocked process): never extend past the deadline.
    if (sentAt >= term.deadlineAt) return this.expire(term);
    let reply: z.infer<typeof RenewReplySchema>;
    try {
      reply = RenewReplySchema.parse(await this.redis.eval(RENEW, 2, ...this.keys, this.ownerId, this.timings.ttlMs));
    } catch (err) {
      if (!term.ended) this.log.warn({ err: { message: (err as Error).message }, msLeft: Math.round(term.deadlineAt - performance.now()) }, 'leader lock: renewal failed; retrying');
      return 'failed';
    }
    if (term.ended) return 'lost';
    if (performance.now() >= term.deadlineAt) return this.expire(term);
    const [code, holder] = reply;
    if (code === 0) return this.lose(term, { reason: 'taken', holder });
    if (code === 2) this.log.warn('leader lock: the key was gone (Redis flushed or replaced, or the key deleted) and nobody else held it since: re-claimed');
    term.renewedAt = sentAt;
    term.deadlineAt = sentAt + this.timings.ttlMs - this.timings.marginMs;
    this.armDeadline(term);
    return 'renewed';
  }

  private expire(term: Term): 'lost' {
    return this.lose(term, { reason: 'expired', sinceRenewMs: Math.round(performance.now() - term.renewedAt) });
  }

  private lose(term: Term, lost: LeaderLost): 'lost' {
    if (term.ended) return 'lost';
    const wasLeading = term.phase === 'leading';
    this.finish(term);
    if (!wasLeading) return 'lost';
    this.log.error({ lost }, 'leader lock lost: this scheduler must stop driving executions');
    try {
      this.options.onLost(lost);
    } catch (err) {
      this.log.error({ err }, 'leader lock: onLost threw');
    }
    return 'lost';
  }

  /** Ends a term without callbacks: timers stop, nothing is released. */
  private finish(term: Term): void {
    term.ended = true;
    clearTimeout(term.deadlineTimer);
    clearTimeout(term.renewTimer);
    if (this.term === term) this.term = undefined;
  }

  /** Ends a claim given up (aborted wait): releases it if it is still ours. */
  private async endTerm(term: Term): Promise<void> {
    this.finish(term);
    if (this.redis.status !== 'ready') return;
    await this.redis.eval(RELEASE, 2, ...this.keys, this.ownerId).catch((err: unknown) => this.log.warn({ err: { message: (err as Error).message } }, 'leader lock: could not release an abandoned claim; it expires by itself'));
  }

  /** Starts connecting if needed and waits (at most one poll interval) until the client is ready. */
  private async ready(stop: AbortSignal): Promise<void> {
    if (this.redis.status === 'ready') return;
    if (this.redis.status === 'wait') this.redis.connect().catch(() => undefined); // failures: the next command says why; the client reconnects
    await pause(this.timings.pollIntervalMs, stop, this.redis);
  }
}

function resolveTimings(options: LeaderLockOptions): Timings {
  const ttlMs = options.ttlMs ?? DEFAULT_LEADER_TTL_MS;
  const renewIntervalMs = options.renewIntervalMs ?? Math.floor(ttlMs / 3);
  const raw = {
    ttlMs,
    renewIntervalMs,
    marginMs: options.marginMs ?? Math.floor(ttlMs / 5),
    pollIntervalMs: options.pollIntervalMs ?? Math.min(1_000, renewIntervalMs),
    unknownHistoryWaitMs: options.unknownHistoryWaitMs ?? ttlMs,
  };
  const parsed = TimingsSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  throw new OrchestratorError(ErrorCode.ConfigInvalid, `Invalid leader lock timings ${JSON.stringify(raw)}: ${problems}.`, {
    fix: 'give a ttl of at least 10 ms (a few seconds in production), a margin below it, and a renewal interval below ttl minus margin (the defaults are ttl/5 and ttl/3).',
  });
}

function closedError(): OrchestratorError {
  return new OrchestratorError(ErrorCode.Internal, 'The leader lock is closed.', { fix: 'create a new LeaderLock to take part in leader election again.' });
}

/** Resolves after `ms` (or at `wake`'s `ready` event); rejects with the signal's reason when it aborts. */
function pause(ms: number, signal: AbortSignal, wake?: Redis): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const settle = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      wake?.off('ready', onDone);
    };
    const onDone = (): void => {
      settle();
      resolve();
    };
    const onAbort = (): void => {
      settle();
      reject(signal.reason as Error);
    };
    const timer = setTimeout(onDone, ms);
    signal.addEventListener('abort', onAbort, { once: true });
    wake?.once('ready', onDone);
  });
}
