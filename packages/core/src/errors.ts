/**
 * One error hierarchy for Cairn. Callers branch on `code`; people read `message`, which names the
 * thing, the reason and ends with "To fix: …".
 */

/** Stable error codes. Tests assert on these; never rename one. */
export const ErrorCode = {
  DefinitionInvalid: 'DEFINITION_INVALID',
  DefinitionTooLarge: 'DEFINITION_TOO_LARGE',
  ParameterInvalid: 'PARAMETER_INVALID',
  ExpressionFailed: 'EXPRESSION_FAILED',
  ConditionFailed: 'CONDITION_FAILED',
  ExecutorMissing: 'EXECUTOR_MISSING',
  ImageNotMapped: 'IMAGE_NOT_MAPPED',
  IllegalTransition: 'ILLEGAL_TRANSITION',
  PipelineNotFound: 'PIPELINE_NOT_FOUND',
  ExecutionNotFound: 'EXECUTION_NOT_FOUND',
  StepNotFound: 'STEP_NOT_FOUND',
  ExecutionNotRetryable: 'EXECUTION_NOT_RETRYABLE',
  CallbackTokenInvalid: 'CALLBACK_TOKEN_INVALID',
  ModelPackageNotFound: 'MODEL_PACKAGE_NOT_FOUND',
  ApprovalTransitionInvalid: 'APPROVAL_TRANSITION_INVALID',
  StepFailed: 'STEP_FAILED',
  StepTimedOut: 'STEP_TIMED_OUT',
  StepStopped: 'STEP_STOPPED',
  ServiceFault: 'SERVICE_FAULT',
  BackendThrottled: 'BACKEND_THROTTLED',
  BackendCapacity: 'BACKEND_CAPACITY',
  BackendResourceLimit: 'BACKEND_RESOURCE_LIMIT',
  BackendInternalError: 'BACKEND_INTERNAL_ERROR',
  StoreConflict: 'STORE_CONFLICT',
  /** A fenced commit carried a term older than the fence's: another process took over the work. */
  Fenced: 'FENCED',
  ConfigInvalid: 'CONFIG_INVALID',
  InputUnreadable: 'INPUT_UNREADABLE',
  Internal: 'INTERNAL',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Which codes are worth retrying by default. `satisfies` forces a decision for every new code.
 */
const RETRYABLE = {
  DEFINITION_INVALID: false,
  DEFINITION_TOO_LARGE: false,
  PARAMETER_INVALID: false,
  EXPRESSION_FAILED: false,
  CONDITION_FAILED: false,
  EXECUTOR_MISSING: false,
  IMAGE_NOT_MAPPED: false,
  ILLEGAL_TRANSITION: false,
  PIPELINE_NOT_FOUND: false,
  EXECUTION_NOT_FOUND: false,
  STEP_NOT_FOUND: false,
  EXECUTION_NOT_RETRYABLE: false,
  CALLBACK_TOKEN_INVALID: false,
  MODEL_PACKAGE_NOT_FOUND: false,
  APPROVAL_TRANSITION_INVALID: false,
  STEP_FAILED: false,
  STEP_TIMED_OUT: false,
  STEP_STOPPED: false,
  SERVICE_FAULT: true,
  BACKEND_THROTTLED: true,
  BACKEND_CAPACITY: true,
  BACKEND_RESOURCE_LIMIT: true,
  BACKEND_INTERNAL_ERROR: true,
  STORE_CONFLICT: true,
  FENCED: false,
  CONFIG_INVALID: false,
  INPUT_UNREADABLE: false,
  INTERNAL: false,
} satisfies Record<ErrorCode, boolean>;

/** Whether errors with this code are retried unless a policy says otherwise. */
export function isRetryable(code: ErrorCode): boolean {
  return RETRYABLE[code];
}

/**
 * The retry-policy exception type (SageMaker's `ExceptionType` strings) that an error code maps to,
 * if any. Retry policies in a definition match against these.
 */
export const EXCEPTION_TYPE_BY_CODE: Partial<Record<ErrorCode, RetryExceptionType>> = {
  SERVICE_FAULT: 'Step.SERVICE_FAULT',
  BACKEND_THROTTLED: 'Step.THROTTLING',
  BACKEND_CAPACITY: 'SageMaker.CAPACITY_ERROR',
  BACKEND_RESOURCE_LIMIT: 'SageMaker.RESOURCE_LIMIT',
  BACKEND_INTERNAL_ERROR: 'SageMaker.JOB_INTERNAL_ERROR',
};

/** Retry-policy exception types of the definition format (reference §3.2). */
export type RetryExceptionType =
  | 'Step.SERVICE_FAULT'
  | 'Step.THROTTLING'
  | 'SageMaker.JOB_INTERNAL_ERROR'
  | 'SageMaker.CAPACITY_ERROR'
  | 'SageMaker.RESOURCE_LIMIT'
  | 'Emr.RESOURCE_LIMIT';

/** Options every Cairn error accepts. */
export interface OrchestratorErrorOptions {
  /** The underlying error, when wrapping. */
  cause?: unknown;
  /** What the user should do; appended to the message as "To fix: …". */
  fix?: string;
  /** Overrides the code's default retryability. */
  retryable?: boolean;
  /** Extra machine-readable facts (serialised with the error). */
  details?: Record<string, unknown>;
}

/** Base class of every error Cairn throws on purpose. */
export class OrchestratorError extends Error {
  override readonly name: string = 'OrchestratorError';
  readonly retryable: boolean;
  readonly fix: string | undefined;
  readonly details: Record<string, unknown> | undefined;
  constructor(
    readonly code: ErrorCode,
    message: string,
    options: OrchestratorErrorOptions = {},
  ) {
    super(options.fix ? `${message} To fix: ${options.fix}` : message, { cause: options.cause });
    this.retryable = options.retryable ?? RETRYABLE[code];
    this.fix = options.fix;
    this.details = options.details;
  }
}

/** One problem found in a definition: a stable code, a JSON path and a fix. */
export interface DefinitionIssue {
  /** Stable issue code, e.g. `DUPLICATE_STEP_NAME`. */
  code: string;
  /** JSON path into the definition, e.g. `Steps[2].Arguments.InputDataConfig[0].DataSource.S3DataSource.S3Uri`. */
  path: string;
  /** What is wrong, for people. */
  message: string;
  /** What to do about it. */
  fix: string;
}

/** A definition that is not valid; `issues` lists every problem found, not just the first. */
export class DefinitionError extends OrchestratorError {
  override readonly name: string = 'DefinitionError';
  constructor(
    readonly issues: readonly DefinitionIssue[],
    options: OrchestratorErrorOptions & { code?: ErrorCode } = {},
  ) {
    super(options.code ?? ErrorCode.DefinitionInvalid, formatIssues(issues), options);
  }
}

function formatIssues(issues: readonly DefinitionIssue[]): string {
  const head = `The pipeline definition has ${issues.length} problem${issues.length === 1 ? '' : 's'}:`;
  const lines = issues.map((i) => `  - ${i.path || '(root)'}: ${i.message} To fix: ${i.fix} [${i.code}]`);
  return [head, ...lines].join('\n');
}

/** A step attempt failed; carries the step and attempt for logs and retries. */
export class StepFailedError extends OrchestratorError {
  override readonly name: string = 'StepFailedError';
  constructor(
    readonly stepName: string,
    readonly attempt: number,
    message: string,
    options: OrchestratorErrorOptions & { code?: ErrorCode } = {},
  ) {
    super(options.code ?? ErrorCode.StepFailed, message, options);
  }
}

/** Thrown by executor code to say: do not retry this, whatever the policy. */
export class NonRetryableError extends OrchestratorError {
  override readonly name: string = 'NonRetryableError';
  constructor(code: ErrorCode, message: string, options: Omit<OrchestratorErrorOptions, 'retryable'> = {}) {
    super(code, message, { ...options, retryable: false });
  }
}

/** An error as data: how errors cross queues and process boundaries and are stored. */
export interface SerializedError {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  /** The retry-policy exception type this error counts as, if any. */
  exceptionType?: RetryExceptionType;
  details?: Record<string, unknown>;
}

/** Turns anything thrown into a `SerializedError`; unknown errors become `INTERNAL`. */
export function toSerializedError(err: unknown): SerializedError {
  if (err instanceof OrchestratorError) {
    const exceptionType = EXCEPTION_TYPE_BY_CODE[err.code];
    return {
      code: err.code,
      message: err.message,
      retryable: err.retryable,
      ...(exceptionType ? { exceptionType } : {}),
      ...(err.details ? { details: err.details } : {}),
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: ErrorCode.Internal, message, retryable: false };
}

/** Rebuilds an `OrchestratorError` from its serialised form. */
export function fromSerializedError(e: SerializedError): OrchestratorError {
  return new OrchestratorError(e.code, e.message, {
    retryable: e.retryable,
    ...(e.details ? { details: e.details } : {}),
  });
}

/** Exhaustiveness guard for switches over discriminated unions. */
export function assertNever(value: never, what = 'value'): never {
  throw new OrchestratorError(ErrorCode.Internal, `Unexpected ${what}: ${JSON.stringify(value)}.`);
}
