import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { describe, expect, onTestFinished, vi } from 'vitest';
import type { StepWork } from '@cairn/core';
import { redisTest as test } from '@cairn/test-support';
import { QueueDispatcher } from '../src/queue-dispatcher.js';
import { QueueName, stepJobId } from '../src/queues.js';
import { redisOptionsFromUrl } from '../src/redis.js';

const work = (stepName: string): StepWork => ({
  executionId: 'abc123def456',
  executionArn: 'arn:aws:sagemaker:local:000000000000:pipeline/p/execution/abc123def456',
  pipelineName: 'p',
  stepName,
  stepType: 'Lambda',
  attempt: 1,
  request: { step: { Name: stepName, Type: 'Lambda', FunctionArn: 'f', Arguments: {} } as StepWork['request']['step'], arguments: {}, jobName: `j-${stepName}` },
});

/** The steps queue of `prefix` and a dispatcher on it, closed after the test. */
function open(redisUrl: string, prefix: string) {
  const connection = redisOptionsFromUrl(redisUrl);
  const steps = new Queue(QueueName.Steps, { connection, prefix });
  const publisher = new Redis(connection);
  const dispatcher = new QueueDispatcher({ steps, publisher, stopChannel: `${prefix}:stop`, logger: pino({ level: 'silent' }) });
  onTestFinished(async () => {
    dispatcher.close();
    await steps.obliterate({ force: true });
    await steps.close();
    publisher.disconnect();
  });
  return { steps, dispatcher };
}

describe('QueueDispatcher', () => {
  test('the dispatches of one tick are all enqueued, in MULTIs of 1,000 jobs', async ({ redisUrl, prefix }) => {
    const { steps, dispatcher } = open(redisUrl, prefix);
    for (let i = 0; i < 2_500; i++) dispatcher.dispatch(work(`s${i}`));
    await vi.waitFor(async () => expect(await steps.getJobCounts('waiting')).toEqual({ waiting: 2_500 }), { timeout: 10_000, interval: 50 });
    expect(await steps.getJob(stepJobId(work('s2499')))).toMatchObject({ data: { stepName: 's2499' } });
  });

  test('a reconciler pass enqueues only the attempts whose job is gone', async ({ redisUrl, prefix }) => {
    const { steps, dispatcher } = open(redisUrl, prefix);
    dispatcher.dispatch(work('A'));
    await vi.waitFor(async () => expect(await steps.getJob(stepJobId(work('A')))).toBeDefined(), { timeout: 5_000, interval: 20 });
    const a = (await steps.getJob(stepJobId(work('A'))))!;
    await a.updateData({ ...a.data, marker: 'untouched' });

    const enqueued = await dispatcher.redispatchMissing(() => {
      for (const name of ['A', 'B', 'C']) dispatcher.dispatch(work(name));
      return 3;
    });
    expect(enqueued).toBe(2);
    expect((await steps.getJob(stepJobId(work('A'))))!.data).toMatchObject({ marker: 'untouched' });
    for (const name of ['B', 'C']) expect(await steps.getJob(stepJobId(work(name)))).toMatchObject({ data: { stepName: name } });
    // Dispatches outside a pass go out as usual.
    dispatcher.dispatch(work('D'));
    await vi.waitFor(async () => expect(await steps.getJob(stepJobId(work('D')))).toBeDefined(), { timeout: 5_000, interval: 20 });
    expect(await steps.getJobCounts('waiting')).toEqual({ waiting: 4 });
  });
});
