import { describe, expect, it } from 'vitest';
import type { StepExecutionRecord } from '@cairn/core';
import { pipelineExecutionSteps } from './shapes.js';

function step(stepName: string, startTime: number | undefined, endTime?: number): StepExecutionRecord {
  return { executionId: 'abc123def456', stepName, stepType: 'Lambda', status: 'Succeeded', attempt: 1, updatedAt: 0, version: 1, ...(startTime === undefined ? {} : { startTime }), ...(endTime === undefined ? {} : { endTime }) };
}

describe('pipelineExecutionSteps', () => {
  it('lists the most recently started step first, as ListPipelineExecutionSteps does', () => {
    const steps = [step('A', 1, 2), step('C', 5, 5), step('B', 5, 9), step('Waiting', undefined)];
    expect(pipelineExecutionSteps(steps).map((s) => s['StepName'])).toEqual(['Waiting', 'B', 'C', 'A']);
    expect(pipelineExecutionSteps(steps)[1]).toMatchObject({ StartTime: 0.005, EndTime: 0.009, StepStatus: 'Succeeded', AttemptCount: 1 });
  });
});
