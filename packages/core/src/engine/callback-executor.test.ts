import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../clock.js';
import type { ExecutionContext, StepRequest } from '../executor.js';
import { MemoryStore } from '../store/memory-store.js';
import { createCallbackExecutor, sendCallbackFailure, sendCallbackSuccess, type CallbackMessage } from './callback-executor.js';

const logger = pino({ level: 'silent' });

function context(store: MemoryStore, attempt = 1): ExecutionContext {
  return {
    executionId: 'abcdefabcdef',
    executionArn: 'arn:aws:sagemaker:us-east-1:000000000000:pipeline/p/execution/abcdefabcdef',
    pipelineName: 'p',
    stepName: 'Cb',
    stepType: 'Callback',
    attempt,
    signal: new AbortController().signal,
    logger,
    clock: systemClock,
    artifacts: { get: () => Promise.reject(new Error('unused')) } as never,
    registry: store,
  };
}

const request = {
  step: { Name: 'Cb', Type: 'Callback', Arguments: {}, SqsQueueUrl: 'https://sqs/q', OutputParameters: [{ OutputName: 'n', OutputType: 'Integer' }] },
  arguments: {},
  stepFields: { SqsQueueUrl: 'https://sqs/q' },
} as unknown as StepRequest;

describe('Callback executor', () => {
  it('completes an attempt started twice (a crash lost the first handle) when the first token is redeemed', async () => {
    const store = new MemoryStore();
    const messages: CallbackMessage[] = [];
    const executor = createCallbackExecutor({ store, logger, sink: (m) => void messages.push(m) });
    const ctx = context(store);
    await executor.start(request, ctx); // its handle never reached the scheduler
    const handle = await executor.start(request, ctx); // the redelivered job starts again
    expect(messages).toHaveLength(2);
    expect(await executor.poll(handle, ctx)).toEqual({ state: 'running' });

    await sendCallbackSuccess(store, messages[0]!.token, { n: '7' });
    expect(await executor.poll(handle, ctx)).toMatchObject({
      state: 'succeeded',
      properties: { OutputParameters: { n: 7 } },
      metadata: { Callback: { CallbackToken: '…', OutputParameters: [{ Name: 'n', Value: '7' }] } },
    });
  });

  it("ignores tokens of another attempt, and the first redemption of the attempt's tokens wins", async () => {
    const store = new MemoryStore();
    const messages: CallbackMessage[] = [];
    const executor = createCallbackExecutor({ store, logger, sink: (m) => void messages.push(m) });
    await executor.start(request, context(store, 1));
    const first = await executor.start(request, context(store, 2));
    const second = await executor.start(request, context(store, 2));
    await sendCallbackFailure(store, messages[0]!.token, 'attempt 1 was stopped');
    expect(await executor.poll(second, context(store, 2))).toEqual({ state: 'running' });

    await sendCallbackSuccess(store, messages[2]!.token, { n: '1' }, 100);
    await sendCallbackFailure(store, messages[1]!.token, 'too late', 200);
    const state = await executor.poll(first, context(store, 2));
    expect(state).toMatchObject({ state: 'succeeded', properties: { OutputParameters: { n: 1 } }, metadata: { Callback: { CallbackToken: '…' } } });
    // The handle's own token shows its prefix.
    expect(await executor.poll(second, context(store, 2))).toMatchObject({ metadata: { Callback: { CallbackToken: `${messages[2]!.token.slice(0, 6)}…` } } });
  });
});
