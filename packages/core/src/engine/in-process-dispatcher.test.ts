import { describe, expect, it, vi } from 'vitest';
import type { Step } from '../definition/steps.js';
import type { ExecutionHandle, JobState, StepExecutor } from '../executor.js';
import type { ModelRegistryStore } from '../store/registry-store.js';
import { ManualClock, memoryArtifacts, silentLogger } from './engine-test-support.js';
import { createExecutorRouter } from './executor-router.js';
import { InProcessDispatcher } from './in-process-dispatcher.js';

/** An executor without `wait` whose job runs for three polls, handing back a new handle each time. */
function pollingExecutor(): StepExecutor & { polled: ExecutionHandle[] } {
  const polled: ExecutionHandle[] = [];
  return {
    id: 'remote',
    stepTypes: ['Processing'],
    polled,
    start: async () => ({ polls: 0, pollDelayMs: 1 }),
    poll: async (handle) => {
      polled.push(handle);
      const polls = Number(handle['polls']);
      return polls < 3 ? { state: 'running', handle: { polls: polls + 1, pollDelayMs: 1 } } : { state: 'succeeded', properties: {} };
    },
    stop: async () => undefined,
  };
}

describe('InProcessDispatcher', () => {
  it('polls with the newest handle, reports each handle update and honours pollDelayMs', async () => {
    const executor = pollingExecutor();
    const reports: JobState[] = [];
    const dispatcher = new InProcessDispatcher({
      router: createExecutorRouter([executor]),
      report: async (_id, _step, _attempt, state) => {
        reports.push(state);
        return true;
      },
      artifacts: memoryArtifacts(),
      registry: {} as ModelRegistryStore,
      logger: silentLogger,
      clock: new ManualClock(),
      // Without the handle's 1 ms hint, three polls would take a minute.
      pollIntervalMs: 60_000,
    });
    const step = { Name: 'P', Type: 'Processing', Arguments: {} } as unknown as Step;
    dispatcher.dispatch({
      executionId: 'e', executionArn: 'arn:e', pipelineName: 'p', stepName: 'P', stepType: 'Processing', attempt: 1,
      request: { step, arguments: {}, jobName: 'job' },
    });
    await vi.waitFor(() => expect(reports.at(-1)?.state).toBe('succeeded'));
    expect(executor.polled.map((h) => h['polls'])).toEqual([0, 1, 2, 3]);
    const handles = reports.filter((r) => r.state === 'running').map((r) => (r.state === 'running' ? r.handle?.['polls'] : undefined));
    expect(handles).toEqual([0, 1, 2, 3]);
  });
});
