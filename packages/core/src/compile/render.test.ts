import { describe, expect, it } from 'vitest';
import type { PipelineDefinition } from '../definition/pipeline.js';
import { compilePipeline } from './compile-pipeline.js';
import { renderGraphText, renderMermaid } from './render.js';

const lambda = (name: string, extra: Record<string, unknown> = {}) => ({
  Name: name,
  Type: 'Lambda',
  Arguments: {},
  FunctionArn: 'arn:aws:lambda:us-east-1:1:function:f',
  OutputParameters: [],
  ...extra,
});
const compiled = compilePipeline({
  Version: '2020-12-01',
  Steps: [
    lambda('prep-data'),
    {
      Name: 'Check',
      Type: 'Condition',
      DependsOn: ['prep-data'],
      Arguments: {
        Conditions: [],
        IfSteps: [lambda('Deploy')],
        ElseSteps: [{ Name: 'Stop', Type: 'Fail', Arguments: { ErrorMessage: 'say "no"' } }],
      },
    },
  ],
} as unknown as PipelineDefinition);

describe('renderMermaid', () => {
  it('draws a flowchart with step types, shapes and labelled branches', () => {
    expect(renderMermaid(compiled)).toBe(
      [
        'flowchart TD',
        '  s0["prep-data<br/>(Lambda)"]',
        '  s1{"Check<br/>(Condition)"}',
        '  s2["Deploy<br/>(Lambda)"]',
        '  s3(["Stop<br/>(Fail)"])',
        '  s0 --> s1',
        '  s1 -->|if| s2',
        '  s1 -->|else| s3',
      ].join('\n'),
    );
  });
});

describe('renderGraphText', () => {
  it('lists steps in topological order with type, branch and upstream', () => {
    expect(renderGraphText(compiled)).toBe(
      [
        'prep-data  Lambda',
        'Check      Condition <- prep-data',
        'Deploy     Lambda [if of Check] <- Check',
        'Stop       Fail [else of Check] <- Check',
      ].join('\n'),
    );
  });
});
