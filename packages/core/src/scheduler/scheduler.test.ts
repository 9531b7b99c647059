import { describe, expect, it } from 'vitest';
import type { RetryPolicy } from '../definition/steps.js';
import type { SerializedError } from '../errors.js';
import { cacheKey, parseExpireAfter } from './cache-key.js';
import { decideRetry } from './retry-policy.js';
import { nextExecutionStatus, nextStepStatus, STEP_TRANSITIONS, type StepEvent, type StepStatus } from './status.js';
import { StepScheduler, type SchedulerStep } from './step-scheduler.js';

/** Builds scheduler steps from `name: [upstream…]`, with optional branch membership. */
function graph(edges: Record<string, string[]>, branches: Record<string, SchedulerStep['branch']> = {}): SchedulerStep[] {
  return Object.entries(edges).map(([name, upstream]) => ({
    name,
    upstream,
    downstream: Object.entries(edges).filter(([, ups]) => ups.includes(name)).map(([n]) => n),
    branch: branches[name],
  }));
}

describe('StepScheduler', () => {
  it('releases steps when their upstream succeed, within the parallelism limit', () => {
    const s = new StepScheduler(graph({ a: [], b: [], c: [], d: ['a', 'b', 'c'] }), 2);
    s.restore([]);
    expect(s.takeReady()).toEqual(['a', 'b']);
    expect(s.takeReady()).toEqual([]);
    s.succeeded('a');
    expect(s.takeReady()).toEqual(['c']);
    s.succeeded('b');
    s.succeeded('c');
    expect(s.takeReady()).toEqual(['d']);
    expect(s.settled).toBe(false);
    s.succeeded('d');
    expect(s.settled).toBe(true);
  });

  it('skips the branch not taken and its dependents, in both directions', () => {
    const edges = { cond: [], yes: ['cond'], no: ['cond'], afterNo: ['no'], join: ['yes', 'no'], free: ['cond'] };
    const branches = { yes: { condition: 'cond', branch: 'IfSteps' as const }, no: { condition: 'cond', branch: 'ElseSteps' as const } };
    for (const outcome of [true, false]) {
      const s = new StepScheduler(graph(edges, branches));
      s.restore([]);
      expect(s.takeReady()).toEqual(['cond']);
      s.succeeded('cond', outcome);
      const taken = s.takeReady();
      expect(taken).toEqual(outcome ? ['yes', 'free'] : ['no', 'free']);
      for (const t of taken) s.succeeded(t);
      expect(s.takeReady()).toEqual(outcome ? [] : ['afterNo']);
      if (!outcome) s.succeeded('afterNo');
      expect(s.settled).toBe(true);
    }
  });

  it('starts nothing new after a failure and settles when running steps finish', () => {
    const s = new StepScheduler(graph({ a: [], b: [], c: ['a'] }));
    s.restore([]);
    expect(s.takeReady()).toEqual(['a', 'b']);
    s.failed('b');
    expect(s.settled).toBe(false);
    s.succeeded('a');
    expect(s.takeReady()).toEqual([]);
    expect(s.settled).toBe(true);
    expect(s.isHalted).toBe(true);
  });

  it('restores done, running and excluded steps', () => {
    const s = new StepScheduler(graph({ a: [], b: ['a'], c: ['b'], d: ['a'], e: ['d'] }));
    s.restore([['a', undefined]], ['b'], ['e']);
    expect(s.takeReady()).toEqual(['d']);
    s.succeeded('d');
    s.succeeded('b');
    expect(s.takeReady()).toEqual(['c']);
  });

  it('handles a 10,000-step chain without recursion', () => {
    const steps: SchedulerStep[] = Array.from({ length: 10_000 }, (_, i) => ({
      name: `s${i}`,
      upstream: i ? [`s${i - 1}`] : [],
      downstream: i < 9_999 ? [`s${i + 1}`] : [],
    }));
    const s = new StepScheduler(steps);
    s.restore([], [], ['s0']);
    expect(s.settled).toBe(true);
  });
});

describe('status tables', () => {
  it('allows exactly the transitions of the table', () => {
    const events: StepEvent[] = ['started', 'succeeded', 'failed', 'retry', 'stop', 'stopped'];
    for (const [from, row] of Object.entries(STEP_TRANSITIONS) as [StepStatus, Partial<Record<StepEvent, StepStatus>>][]) {
      for (const e of events) {
        if (row[e]) expect(nextStepStatus(from, e)).toBe(row[e]);
        else expect(() => nextStepStatus(from, e)).toThrow(expect.objectContaining({ code: 'ILLEGAL_TRANSITION' }));
      }
    }
    expect(nextExecutionStatus('Failed', 'retry')).toBe('Executing');
    expect(() => nextExecutionStatus('Succeeded', 'retry')).toThrow(/final/);
  });
});

describe('decideRetry', () => {
  const err = (exceptionType?: SerializedError['exceptionType'], retryable = true): SerializedError => ({
    code: 'BACKEND_CAPACITY',
    message: 'x',
    retryable,
    ...(exceptionType ? { exceptionType } : {}),
  });
  const capacity: RetryPolicy = { ExceptionType: ['SageMaker.CAPACITY_ERROR'], IntervalSeconds: 5, BackoffRate: 3, MaxAttempts: 2 };

  it('matches policies by exception type and backs off', () => {
    expect(decideRetry([capacity], err('SageMaker.CAPACITY_ERROR'), 1, 0, 0)).toEqual({ retry: true, delayMs: 5000 });
    expect(decideRetry([capacity], err('SageMaker.CAPACITY_ERROR'), 2, 0, 0)).toEqual({ retry: true, delayMs: 15000 });
    expect(decideRetry([capacity], err('SageMaker.CAPACITY_ERROR'), 3, 0, 0)).toMatchObject({ retry: false });
    expect(decideRetry([capacity], err('SageMaker.RESOURCE_LIMIT'), 1, 0, 0)).toMatchObject({ retry: false });
    expect(decideRetry([capacity], err(), 1, 0, 0)).toMatchObject({ retry: false });
    expect(decideRetry([capacity], err('SageMaker.CAPACITY_ERROR', false), 1, 0, 0)).toMatchObject({ retry: false });
  });

  it('retries SERVICE_FAULT and THROTTLING by default, 5 times, unless a policy replaces it', () => {
    expect(decideRetry(undefined, err('Step.SERVICE_FAULT'), 1, 0, 0)).toEqual({ retry: true, delayMs: 1000 });
    expect(decideRetry(undefined, err('Step.THROTTLING'), 5, 0, 0)).toEqual({ retry: true, delayMs: 16000 });
    expect(decideRetry(undefined, err('Step.THROTTLING'), 6, 0, 0)).toMatchObject({ retry: false });
    const none: RetryPolicy = { ExceptionType: ['Step.SERVICE_FAULT'], MaxAttempts: 0 };
    expect(decideRetry([none], err('Step.SERVICE_FAULT'), 1, 0, 0)).toMatchObject({ retry: false });
  });

  it('expires retries ExpireAfterMin after the first start', () => {
    const p: RetryPolicy = { ExceptionType: ['Step.SERVICE_FAULT'], ExpireAfterMin: 10 };
    expect(decideRetry([p], err('Step.SERVICE_FAULT'), 9, 0, 599_999)).toMatchObject({ retry: true });
    expect(decideRetry([p], err('Step.SERVICE_FAULT'), 2, 0, 600_000)).toMatchObject({ retry: false });
  });
});

describe('cacheKey', () => {
  const args = { AppSpecification: { ImageUri: 'img' }, ProcessingInputs: [{ InputName: 'in' }], RoleArn: 'r1', ProcessingResources: { a: 1 } };
  it('depends only on the cache-key attributes of the step type', () => {
    const k = cacheKey('Processing', args);
    expect(k).toMatch(/^[0-9a-f]{64}$/);
    expect(cacheKey('Processing', { ...args, RoleArn: 'r2', ProcessingResources: { a: 2 } })).toBe(k);
    expect(cacheKey('Processing', { ...args, Environment: { X: '1' } })).not.toBe(k);
    expect(cacheKey('Processing', { ProcessingInputs: [{ InputName: 'in' }], AppSpecification: { ImageUri: 'img' } })).toBe(k);
    expect(cacheKey('Training', args)).not.toBe(k);
  });
  it('keeps only the listed fields of nested attributes', () => {
    const base = { TrainingJobDefinition: { AlgorithmSpecification: { x: 1 }, RoleArn: 'a' } };
    expect(cacheKey('Tuning', base)).toBe(cacheKey('Tuning', { TrainingJobDefinition: { AlgorithmSpecification: { x: 1 }, RoleArn: 'b' } }));
  });
  it('parses ExpireAfter leniently', () => {
    expect(parseExpireAfter('PT1H')).toBe(3_600_000);
    expect(parseExpireAfter('P30D')).toBe(30 * 86_400_000);
    expect(parseExpireAfter('p30d')).toBe(30 * 86_400_000);
    expect(parseExpireAfter('T12H')).toBe(12 * 3_600_000);
    expect(parseExpireAfter('30d')).toBe(30 * 86_400_000);
    expect(parseExpireAfter('30dT5h')).toBe(30 * 86_400_000 + 5 * 3_600_000);
    expect(parseExpireAfter('P4DT12H')).toBe(4.5 * 86_400_000);
    expect(parseExpireAfter('T16m')).toBe(16 * 60_000);
    expect(parseExpireAfter('5y')).toBe(5 * 365 * 86_400_000);
    expect(parseExpireAfter('soon')).toBeUndefined();
    expect(parseExpireAfter('P')).toBeUndefined();
  });
});
