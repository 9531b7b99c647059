import type { JsonObject } from '../json.js';
import type { ExecutionRecord, StepExecutionRecord } from '../store/execution-store.js';

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

/** Drops `undefined` members so JSON output has only what is known. */
function defined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/** SageMaker's `DescribePipelineExecution` response for a stored execution (times in epoch seconds). */
export function toDescribePipelineExecution(record: ExecutionRecord): JsonObject {
  const selective = record.selectiveExecution;
  return defined({
    PipelineArn: record.pipelineArn,
    PipelineExecutionArn: record.arn,
    PipelineExecutionDisplayName: record.displayName,
    PipelineExecutionStatus: record.status,
    PipelineExecutionDescription: record.description,
    FailureReason: record.failureReason,
    CreationTime: seconds(record.createdAt),
    LastModifiedTime: seconds(record.updatedAt),
    ParallelismConfiguration: record.maxParallelExecutionSteps === undefined ? undefined : { MaxParallelExecutionSteps: record.maxParallelExecutionSteps },
    SelectiveExecutionConfig: selective && defined({
      SourcePipelineExecutionArn: selective.sourceExecutionId === undefined ? undefined : `${record.pipelineArn}/execution/${selective.sourceExecutionId}`,
      SelectedSteps: selective.selectedSteps.map((StepName) => ({ StepName })),
    }),
    PipelineVersionId: record.pipelineVersion,
  }) as JsonObject;
}

/** One `ListPipelineExecutionSteps` item for a stored step (times in epoch seconds). */
export function toPipelineExecutionStep(record: StepExecutionRecord): JsonObject {
  return defined({
    StepName: record.stepName,
    StepDisplayName: record.displayName,
    StepDescription: record.description,
    StartTime: seconds(record.startTime),
    EndTime: seconds(record.endTime),
    StepStatus: record.status,
    CacheHitResult: record.cacheHit && { SourcePipelineExecutionArn: record.cacheHit.sourceExecutionArn },
    FailureReason: record.status === 'Failed' ? record.failureReason : undefined,
    Metadata: record.metadata ?? {},
    AttemptCount: record.attempt,
    SelectiveExecutionResult: record.selectiveSource && { SourcePipelineExecutionArn: record.selectiveSource.sourceExecutionArn },
  }) as JsonObject;
}
