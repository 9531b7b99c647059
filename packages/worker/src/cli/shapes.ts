import { toDescribePipelineExecution, toPipelineExecutionStep, type ExecutionRecord, type JsonObject, type StepExecutionRecord } from '@cairn/core';

/** What `--json` prints for an execution's steps: ListPipelineExecutionSteps items, most recently started first (SageMaker's order). */
export function pipelineExecutionSteps(steps: readonly StepExecutionRecord[]): JsonObject[] {
  const latest = (t: number | undefined) => t ?? Infinity;
  return [...steps]
    .sort((a, b) => latest(b.startTime) - latest(a.startTime) || latest(b.endTime) - latest(a.endTime))
    .map(toPipelineExecutionStep);
}

/** A ListPipelineExecutions `PipelineExecutionSummaries` item. */
export function pipelineExecutionSummary(record: ExecutionRecord): JsonObject {
  const d = toDescribePipelineExecution(record);
  const summary: Record<string, JsonObject[string] | undefined> = {
    PipelineExecutionArn: d['PipelineExecutionArn'],
    StartTime: d['CreationTime'],
    PipelineExecutionStatus: d['PipelineExecutionStatus'],
    PipelineExecutionDescription: d['PipelineExecutionDescription'],
    PipelineExecutionDisplayName: d['PipelineExecutionDisplayName'],
    PipelineExecutionFailureReason: d['FailureReason'],
  };
  return Object.fromEntries(Object.entries(summary).filter(([, v]) => v !== undefined)) as JsonObject;
}

/** `ListPipelineParametersForExecution` items: every parameter with its effective value as a string. */
export function pipelineParameters(record: ExecutionRecord): { Name: string; Value: string }[] {
  return Object.entries(record.parameters).map(([Name, value]) => ({ Name, Value: String(value) }));
}
