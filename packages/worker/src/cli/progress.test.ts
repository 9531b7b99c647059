import { describe, expect, it } from 'vitest';
import type { ExecutionRecord, StepExecutionRecord } from '@cairn/core';
import { ExecutionSnapshot, plainProgress, renderProgress } from './progress.js';

const T0 = Date.UTC(2026, 0, 1, 12, 0, 0);

function execution(patch: Partial<ExecutionRecord> = {}): ExecutionRecord {
  return {
    id: 'abc123def456', arn: 'arn:x', pipelineName: 'demo', pipelineArn: 'arn:p', pipelineVersion: 1, definition: '{}',
    status: 'Executing', parameters: {}, runtime: 'embedded', createdAt: T0, updatedAt: T0, version: 1, ...patch,
  };
}

function step(name: string, patch: Partial<StepExecutionRecord> = {}): StepExecutionRecord {
  return { executionId: 'abc123def456', stepName: name, stepType: 'Lambda', status: 'Starting', attempt: 1, startTime: T0, updatedAt: T0, version: 1, ...patch };
}

describe('plainProgress', () => {
  it('prints one timestamped line per status change and ignores other executions', () => {
    let out = '';
    const view = plainProgress({ write: (s: string) => (out += s) }, execution());
    view.update({ type: 'step', executionId: 'abc123def456', step: step('Score') });
    view.update({ type: 'step', executionId: 'abc123def456', step: step('Score', { version: 2 }) }); // no visible change
    view.update({ type: 'step', executionId: 'other0000000', step: step('Score', { status: 'Failed' }) });
    view.update({ type: 'step', executionId: 'abc123def456', step: step('Score', { status: 'Starting', attempt: 2, updatedAt: T0 + 1500 }) });
    view.update({ type: 'step', executionId: 'abc123def456', step: step('Score', { status: 'Failed', attempt: 2, failureReason: 'boom', updatedAt: T0 + 2000 }) });
    view.update({ type: 'execution', execution: execution({ status: 'Failed', failureReason: 'Step failure: One or multiple steps failed', updatedAt: T0 + 2001 }) });
    expect(out.trim().split('\n')).toEqual([
      '2026-01-01T12:00:00.000Z execution abc123def456 (demo) Executing',
      '2026-01-01T12:00:00.000Z Score [Lambda] Starting',
      '2026-01-01T12:00:01.500Z Score [Lambda] Starting (attempt 2)',
      '2026-01-01T12:00:02.000Z Score [Lambda] Failed (attempt 2): boom',
      '2026-01-01T12:00:02.001Z execution abc123def456 Failed: Step failure: One or multiple steps failed',
    ]);
  });
});

describe('renderProgress', () => {
  it('shows a header and one row per step with duration, cache hit and reason', () => {
    const snapshot = new ExecutionSnapshot(execution());
    snapshot.apply({ type: 'step', executionId: 'abc123def456', step: step('Prep', { status: 'Succeeded', endTime: T0 + 1200, cacheHit: { sourceExecutionArn: 'arn:s', sourceExecutionId: 'src000000000', reason: 'same key' } }) });
    snapshot.apply({ type: 'step', executionId: 'abc123def456', step: step('Train', { stepType: 'Training', status: 'Executing', startTime: T0 + 1300 }) });
    const text = renderProgress(snapshot, T0 + 65_000);
    expect(text.split('\n')[0]).toBe('Execution abc123def456 (demo) · Executing · 1m05s');
    expect(text).toMatch(/│ Prep +│ Lambda +│ Succeeded +│ 1 +│ 1\.2s +│ hit \(src000000000\) +│/);
    expect(text).toMatch(/│ Train +│ Training +│ Executing +│ 1 +│ 1m03s +│/);
  });

  it('hides the earliest Succeeded steps when the table is too long', () => {
    const snapshot = new ExecutionSnapshot(execution());
    for (let i = 0; i < 5; i++) snapshot.apply({ type: 'step', executionId: 'abc123def456', step: step(`S${i}`, { status: 'Succeeded', startTime: T0 + i }) });
    snapshot.apply({ type: 'step', executionId: 'abc123def456', step: step('Late', { status: 'Executing', startTime: T0 + 10 }) });
    const text = renderProgress(snapshot, T0 + 100, { maxRows: 3 });
    expect(text).not.toContain('S0');
    expect(text).toContain('S4');
    expect(text).toContain('Late');
    expect(text).toContain('… and 3 more Succeeded steps');
  });
});
