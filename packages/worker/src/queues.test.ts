import { describe, expect, it } from 'vitest';
import { ResultJobSchema, StepJobSchema, parsePayload, resultStreamKey, stepJobId } from './queues.js';
import { redisOptionsFromUrl } from './redis.js';

const work = {
  executionId: 'abc123def456',
  executionArn: 'arn:aws:sagemaker:local:000000000000:pipeline/p/execution/abc123def456',
  pipelineName: 'p',
  stepName: 'Train-1',
  stepType: 'Lambda',
  attempt: 2,
  request: { step: { Name: 'Train-1', Type: 'Lambda', FunctionArn: 'arn:aws:lambda:us-east-1:0:function:f', Arguments: {} }, arguments: { a: 1 }, jobName: 'j' },
};

describe('queues', () => {
  it('job ids are per attempt and contain no ":"; the results stream is namespaced by the prefix', () => {
    expect(stepJobId(work)).toBe('abc123def456__Train-1__2');
    expect(resultStreamKey('cairn')).toBe('cairn:cairn-results');
  });

  it('parses payloads on arrival and rejects malformed ones with a non-retryable INTERNAL error', () => {
    expect(parsePayload(StepJobSchema, 'steps', work).request.step.Name).toBe('Train-1');
    expect(() => parsePayload(StepJobSchema, 'steps', { ...work, attempt: 0 })).toThrow(expect.objectContaining({ code: 'INTERNAL', retryable: false }));
    const failed = { executionId: 'abc123def456', stepName: 'S', attempt: 1, state: { state: 'failed', error: { code: 'STEP_FAILED', message: 'boom', retryable: false } } };
    expect(parsePayload(ResultJobSchema, 'results', failed).state.state).toBe('failed');
    expect(() => parsePayload(ResultJobSchema, 'results', { ...failed, state: { state: 'failed', error: { code: 'NOPE', message: 'x', retryable: true } } })).toThrow(/malformed payload/);
  });

  it("checks a job's step by its identity and keeps every other key of it (the definition was checked at submission)", () => {
    const step = { ...work.request.step, RetryPolicies: [{ ExceptionType: ['Step.SERVICE_FAULT'], MaxAttempts: 2 }] };
    expect(parsePayload(StepJobSchema, 'steps', { ...work, request: { ...work.request, step } }).request.step).toEqual(step);
    expect(() => parsePayload(StepJobSchema, 'steps', { ...work, request: { ...work.request, step: { Type: 'Lambda' } } })).toThrow(/request\.step\.Name/);
    expect(() => parsePayload(StepJobSchema, 'steps', { ...work, request: { ...work.request, arguments: [1] } })).toThrow(/request\.arguments/);
  });

  it('reads Redis URLs into BullMQ connection options', () => {
    expect(redisOptionsFromUrl('rediss://u:p%40ss@cache.example:6380/3')).toMatchObject({ host: 'cache.example', port: 6380, username: 'u', password: 'p@ss', db: 3, tls: {}, maxRetriesPerRequest: null });
    expect(() => redisOptionsFromUrl('http://x')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
