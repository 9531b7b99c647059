import { describe, expect, it } from 'vitest';
import { DefinitionError, ErrorCode, OrchestratorError } from '@cairn/core';
import { formatDuration, formatIssue, renderTable, truncate, writeError } from './output.js';

describe('output helpers', () => {
  it('formats durations for people', () => {
    expect(formatDuration(850.4)).toBe('850ms');
    expect(formatDuration(12_340)).toBe('12.3s');
    expect(formatDuration(245_000)).toBe('4m05s');
    expect(formatDuration(7_380_000)).toBe('2h03m');
  });

  it('truncates to one line with an ellipsis', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('line one\nline two', 12)).toBe('line one li…');
  });

  it('formats an issue as path, message, fix and code', () => {
    const issue = { code: 'UNKNOWN_STEP', path: 'Steps[1].DependsOn[0]', message: 'No step "X".', fix: 'add it.' };
    expect(formatIssue(issue)).toBe('Steps[1].DependsOn[0]: No step "X". To fix: add it. [UNKNOWN_STEP]');
    expect(formatIssue({ ...issue, path: '' })).toMatch(/^\(root\): /);
  });

  it('prints every issue of a DefinitionError and the code of other errors', () => {
    let text = '';
    const stream = { write: (s: string) => (text += s) };
    const issue = { code: 'A', path: 'Steps[0]', message: 'Bad.', fix: 'fix it.' };
    writeError(stream, new DefinitionError([issue, { ...issue, code: 'B' }]));
    expect(text).toBe('error: the pipeline definition has 2 problems:\n  Steps[0]: Bad. To fix: fix it. [A]\n  Steps[0]: Bad. To fix: fix it. [B]\n');
    text = '';
    writeError(stream, new OrchestratorError(ErrorCode.ExecutionNotFound, 'No execution "x".', { fix: 'list them.' }));
    expect(text).toBe('error: No execution "x". To fix: list them. [EXECUTION_NOT_FOUND]\n');
  });

  it('renders tables without colour codes off a terminal', () => {
    const table = renderTable(['step', 'status'], [['Train', 'Succeeded']]);
    expect(table).toContain('Train');
    expect(table).not.toContain('\u001b[');
  });
});

describe('renderTable', () => {
  it('draws one line per row', () => {
    const lines = renderTable(['a'], [['1'], ['2'], ['3']]).split('\n');
    expect(lines).toEqual(['┌───┐', '│ a │', '│ 1 │', '│ 2 │', '│ 3 │', '└───┘']);
  });
});
