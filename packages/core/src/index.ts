/**
 * Cairn core: the SageMaker pipeline-definition model (2020-12-01), the compiler, the execution
 * state machine, expressions, stores, the Model Registry and lineage. No BullMQ, AWS or
 * child-process code lives here.
 *
 * @example
 * const compiled = compilePipeline(parsePipelineDefinition(json));
 */
export type { JsonObject, JsonPrimitive, JsonValue } from './json.js';
export {
  ErrorCode,
  OrchestratorError,
  DefinitionError,
  StepFailedError,
  NonRetryableError,
  isRetryable,
  toSerializedError,
  fromSerializedError,
  assertNever,
  EXCEPTION_TYPE_BY_CODE,
  type DefinitionIssue,
  type SerializedError,
  type RetryExceptionType,
  type OrchestratorErrorOptions,
} from './errors.js';
export { asSentence } from './internal/sentence.js';
export {
  isExpression,
  EXPRESSION_KEYS,
  ExpressionSchema,
  type Expression,
  type GetExpression,
  type JoinExpression,
  type JsonGetExpression,
  type JsonGetPropertyFile,
  type JsonGetS3Uri,
  type Primitive,
  type Valued,
} from './definition/expressions.js';
export {
  CONDITION_TYPES,
  BINARY_CONDITION_TYPES,
  ConditionSchema,
  type Condition,
  type ConditionOperand,
  type ConditionType,
  type BinaryCondition,
  type BinaryConditionType,
  type InCondition,
  type NotCondition,
  type OrCondition,
} from './definition/conditions.js';
export { PARAMETER_TYPES, ParameterSchema, type Parameter, type ParameterType, type ParameterValue } from './definition/parameters.js';
export {
  STEP_TYPES,
  JOB_STEP_TYPES,
  EXCEPTION_TYPES,
  NAME_PATTERN,
  StepSchema,
  RetryPolicySchema,
  CacheConfigSchema,
  PropertyFileSchema,
  OutputParameterSchema,
  type Step,
  type StepType,
  type StepOfType,
  type RetryPolicy,
  type CacheConfig,
  type PropertyFile,
  type OutputParameter,
  type ProcessingStep,
  type TrainingStep,
  type TuningStep,
  type AutoMLStep,
  type ModelStep,
  type RegisterModelStep,
  type TransformStep,
  type ConditionStep,
  type CallbackStep,
  type LambdaStep,
  type QualityCheckStep,
  type ClarifyCheckStep,
  type EMRStep,
  type FailStep,
} from './definition/steps.js';
export { DEFINITION_VERSION, PipelineDefinitionSchema, type PipelineDefinition } from './definition/pipeline.js';
export { parsePipelineDefinition, serializePipelineDefinition, type ParseOptions } from './definition/parse.js';
export { compileSchema } from './definition/schema-ref.js';
export { DEFINITION_LIMITS, type DefinitionLimits } from './definition/limits.js';
export { formatJsonPath } from './definition/json-path.js';
export type { CompiledPipeline, CompiledStep, StepReference } from './compile/types.js';
export {
  ExecutionStatus,
  StepStatus,
  STEP_TRANSITIONS,
  EXECUTION_TRANSITIONS,
  nextStepStatus,
  nextExecutionStatus,
  isTerminalStepStatus,
  isTerminalExecutionStatus,
  type StepEvent,
  type ExecutionEvent,
} from './scheduler/status.js';
export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
export type { ArtifactStore, ArtifactDigest } from './artifacts.js';
export type {
  ExecutionContext,
  StepAttemptIdentity,
  StepRequest,
  ExecutionHandle,
  JobState,
  StepExecutor,
  ExecutorRouter,
} from './executor.js';
export type {
  ExecutionStore,
  PipelineRecord,
  PutPipelineInput,
  ExecutionRecord,
  StepExecutionRecord,
  ExecutionFilter,
  CacheHit,
  CallbackTokenRecord,
  ExecutionPatch,
  StoreBatch,
  StoreFence,
} from './store/execution-store.js';
export {
  ModelApprovalStatus,
  type ModelPackageGroupRecord,
  type ModelPackageRecord,
  type ApprovalChange,
  type CreateModelPackageInput,
  type ModelRegistryStore,
  type UpdateApprovalStatusInput,
} from './store/registry-store.js';
export type {
  LineageStore,
  LineageWrite,
  LineageEntity,
  LineageEntityKind,
  LineageAssociation,
  AssociationType,
} from './store/lineage-store.js';
export type { CairnStore } from './store/store.js';
export { MemoryStore } from './store/memory-store.js';
export { DEFAULT_ARN_PREFIX, type StoreOptions } from './store/store-support.js';
export { compilePipeline, type CompileOptions } from './compile/compile-pipeline.js';
export { validatePipelineDefinition, type ValidatedPipeline } from './compile/validate.js';
export { renderMermaid, renderGraphText } from './compile/render.js';
export { checkPropertyPath, parsePropertyPath, type PropertySegment, type PropertyPathProblem } from './compile/properties.js';
export { EXECUTION_VARIABLES } from './compile/references.js';
export { zodIssuesToDefinitionIssues } from './definition/zod-issues.js';
export { SqliteStore, DEFAULT_SQLITE_PATH, type SqliteStoreOptions } from './store/sqlite-store.js';
export { PostgresStore, type PostgresStoreOptions } from './store/postgres-store.js';
export { resolveValue, hasExpressions, type ResolveContext, type ExecutionVariables, type ResolvableStep } from './expressions/resolve.js';
export { resolveParameters, parseTypedValue } from './expressions/parameters.js';
export { evaluateConditions, type OperandResolver } from './expressions/conditions.js';
export { renderJoinItem } from './expressions/render.js';
export { StepScheduler, type SchedulerStep } from './scheduler/step-scheduler.js';
export { decideRetry, type RetryDecision } from './scheduler/retry-policy.js';
export { cacheKey, parseExpireAfter } from './scheduler/cache-key.js';
export { Coordinator, STEP_FAILURE_REASON, type CoordinatorOptions, type StartPlan } from './engine/coordinator.js';
export { EmbeddedRuntime, newExecutionId, type RuntimeOptions, type StartExecutionInput, type ClosableDispatcher } from './engine/embedded-runtime.js';
export { submitExecution, planSelective, getExecutionOrThrow, requestStopInStore, type SubmitContext, type SubmittedExecution } from './engine/submit.js';
export { createExecutorRouter, imageOf, type ExecutorRoutes } from './engine/executor-router.js';
export {
  createCallbackExecutor,
  sendCallbackSuccess,
  sendCallbackFailure,
  hashCallbackToken,
  type CallbackMessage,
  type CallbackExecutorOptions,
} from './engine/callback-executor.js';
export { InProcessDispatcher, type InProcessDispatcherOptions } from './engine/in-process-dispatcher.js';
export { toDescribePipelineExecution, toPipelineExecutionStep } from './engine/api-shapes.js';
export { jobNameFor } from './engine/job-name.js';
export { deriveStepMetadata } from './engine/step-metadata.js';
export { planSelectiveExecution, type SelectivePlan } from './engine/selective-execution.js';
export type { StepWork, StepRef, StepDispatcher, ResultReporter, ExecutionObserver, RuntimeEvent } from './engine/types.js';
export type { EventOutboxStore, StoredEvent, DeliveryRecord, DeliveryStatus, DeliveryUpdate, PruneEventsQuery } from './store/event-store.js';
export { DEFAULT_PRUNE_EVENTS_LIMIT } from './store/event-store.js';
export type { OutboxRequest } from './store/registry-store.js';
export { ModelRegistry, type ModelRegistryOptions, type ApprovalWaitOutcome, type ApprovalUpdate, type RemoteModelRegistry } from './registry/model-registry.js';
export { APPROVAL_TRANSITIONS, checkApprovalTransition } from './registry/approval-transitions.js';
export { EventDispatcher, type EventDispatcherOptions } from './events/dispatcher.js';
export { WebhookSink, DeliveryError, type EventSink, type WebhookSinkOptions } from './events/sinks.js';
export { SIGNATURE_HEADER, signWebhookPayload, verifyWebhookSignature } from './events/webhook-signature.js';
export { MODEL_PACKAGE_STATE_CHANGE, modelPackageStateChangeEvent } from './events/model-package-event.js';
export { recordStepLineage, findStepArtifacts, stepActionArn, type LineageRecorderOptions } from './lineage/record-lineage.js';
export { lineageObserver, type LineageObserver, type LineageObserverOptions } from './lineage/lineage-observer.js';
export { recoverEndedExecutionsLineage, type RecoverLineageOptions } from './lineage/recover-lineage.js';
export { queryLineage, type LineageDirection, type LineageResult } from './lineage/query-lineage.js';
export { renderLineageTree, renderLineageMermaid, lineageToJson } from './lineage/render-lineage.js';
